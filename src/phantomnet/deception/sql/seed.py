"""The fake company's databases, drawn once per install from the persona's seed.

Two databases, the kind a small web shop runs: ``shop`` (customers, products, orders, the
shop's admin users with WordPress/phpass password hashes, API keys and a stored-cards table)
and ``crm`` (accounts, contacts, deals, CRM users with legacy MD5 hashes). Every value is
derived from the install's random seed, so the same install always shows the same company and
two installs never show the same one. A few secrets (the admins' plain passwords behind the
hashes, the live API keys) are registered as honeytokens: cracking a hash or copying a key and
using it on any door raises ``honeytoken.triggered``.

Columns are declared with MySQL types; :mod:`.catalog` maps them to PostgreSQL's.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from phantomnet.deception.honeytokens import HoneytokenRegistry

#: (column, MySQL type, extra) per table, per database, in creation order
SCHEMA: dict[str, dict[str, tuple[tuple[str, str, str], ...]]] = {
    "shop": {
        "customers": (
            ("id", "int(11)", "pk"),
            ("first_name", "varchar(64)", ""),
            ("last_name", "varchar(64)", ""),
            ("email", "varchar(190)", ""),
            ("phone", "varchar(32)", ""),
            ("city", "varchar(64)", ""),
            ("country", "char(2)", ""),
            ("created_at", "datetime", ""),
        ),
        "products": (
            ("id", "int(11)", "pk"),
            ("sku", "varchar(32)", ""),
            ("name", "varchar(120)", ""),
            ("price", "decimal(10,2)", ""),
            ("stock", "int(11)", ""),
        ),
        "orders": (
            ("id", "int(11)", "pk"),
            ("customer_id", "int(11)", ""),
            ("status", "varchar(16)", ""),
            ("total", "decimal(10,2)", ""),
            ("created_at", "datetime", ""),
        ),
        "payment_cards": (
            ("id", "int(11)", "pk"),
            ("customer_id", "int(11)", ""),
            ("card_holder", "varchar(128)", ""),
            ("brand", "varchar(16)", ""),
            ("card_number", "varchar(19)", ""),
            ("exp_month", "tinyint(4)", ""),
            ("exp_year", "smallint(6)", ""),
        ),
        "users": (
            ("id", "int(11)", "pk"),
            ("username", "varchar(60)", ""),
            ("email", "varchar(100)", ""),
            ("password", "varchar(255)", ""),
            ("role", "varchar(20)", ""),
            ("last_login", "datetime", ""),
        ),
        "api_keys": (
            ("id", "int(11)", "pk"),
            ("user_id", "int(11)", ""),
            ("name", "varchar(64)", ""),
            ("api_key", "varchar(64)", ""),
            ("created_at", "datetime", ""),
        ),
    },
    "crm": {
        "accounts": (
            ("id", "int(11)", "pk"),
            ("name", "varchar(120)", ""),
            ("industry", "varchar(64)", ""),
            ("website", "varchar(120)", ""),
            ("annual_revenue", "decimal(14,2)", ""),
        ),
        "contacts": (
            ("id", "int(11)", "pk"),
            ("account_id", "int(11)", ""),
            ("first_name", "varchar(64)", ""),
            ("last_name", "varchar(64)", ""),
            ("email", "varchar(190)", ""),
            ("phone", "varchar(32)", ""),
            ("title", "varchar(64)", ""),
        ),
        "deals": (
            ("id", "int(11)", "pk"),
            ("account_id", "int(11)", ""),
            ("contact_id", "int(11)", ""),
            ("title", "varchar(120)", ""),
            ("amount", "decimal(12,2)", ""),
            ("stage", "varchar(32)", ""),
            ("close_date", "date", ""),
        ),
        "users": (
            ("id", "int(11)", "pk"),
            ("login", "varchar(64)", ""),
            ("email", "varchar(190)", ""),
            ("password_md5", "char(32)", ""),
            ("is_admin", "tinyint(1)", ""),
        ),
    },
    "postgres": {},
}

FIRST = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Paul",
    "Emily",
    "Steven",
    "Donna",
    "Andrew",
    "Michelle",
    "Lukas",
    "Sophie",
    "Jonas",
    "Marie",
    "Felix",
    "Emma",
    "Luca",
    "Chiara",
)
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Rossi",
    "Bianchi",
    "Dubois",
)
CITIES = (
    ("London", "GB"),
    ("Manchester", "GB"),
    ("Berlin", "DE"),
    ("Hamburg", "DE"),
    ("Munich", "DE"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Milan", "IT"),
    ("Madrid", "ES"),
    ("Amsterdam", "NL"),
    ("New York", "US"),
    ("Chicago", "US"),
    ("Austin", "US"),
    ("Toronto", "CA"),
    ("Vienna", "AT"),
    ("Zurich", "CH"),
)
MAIL = (
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "web.de",
    "gmx.net",
    "icloud.com",
    "hotmail.co.uk",
    "orange.fr",
    "proton.me",
)
COMPANY = (
    "Northwind",
    "Bluepeak",
    "Ironbridge",
    "Greenfield",
    "Silverline",
    "Brightwater",
    "Redwood",
    "Stonegate",
    "Clearpath",
    "Highmark",
)
PRODUCTS = (
    ("Industrial Router IR-200", 349.00),
    ("Managed Switch MS-24", 589.00),
    ("Rack PDU 8-Way", 129.50),
    ("UPS 1500VA", 412.00),
    ("Patch Panel Cat6", 39.90),
    ("SFP+ Module 10G", 54.00),
    ("Wireless AP Pro", 219.00),
    ("NAS 4-Bay", 499.00),
    ("Firewall FW-60", 799.00),
    ("Cat6 Cable 3m (10 pack)", 24.90),
    ("KVM Switch 4-Port", 149.00),
    ("Server Rail Kit", 69.00),
)
INDUSTRIES = (
    "Logistics",
    "Retail",
    "Manufacturing",
    "Healthcare",
    "Finance",
    "Education",
    "Hospitality",
    "Construction",
    "Energy",
    "Media",
)
SUFFIX = ("GmbH", "Ltd", "Inc.", "LLC", "S.A.", "AG", "B.V.", "Group")
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed won", "closed lost")
TITLES = (
    "IT Manager",
    "CTO",
    "Head of Procurement",
    "Operations Lead",
    "CFO",
    "Network Engineer",
    "Office Manager",
    "Purchasing Agent",
)
ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def phpass(password: str, salt: str, log2: int = 13) -> str:
    """WordPress's portable hash (``$P$B...``): MD5 iterated ``2**log2`` times."""
    pw = password.encode()
    digest = hashlib.md5(salt.encode() + pw).digest()
    for _ in range(1 << log2):
        digest = hashlib.md5(digest + pw).digest()
    out, i = [], 0
    while i < 16:
        value = digest[i]
        i += 1
        out.append(ITOA64[value & 0x3F])
        if i < 16:
            value |= digest[i] << 8
        out.append(ITOA64[(value >> 6) & 0x3F])
        if i >= 16:
            break
        i += 1
        if i < 16:
            value |= digest[i] << 16
        out.append(ITOA64[(value >> 12) & 0x3F])
        if i >= 16:
            break
        i += 1
        out.append(ITOA64[(value >> 18) & 0x3F])
    return f"$P${ITOA64[log2]}{salt}{''.join(out)}"


@dataclass(frozen=True)
class Company:
    name: str
    domain: str


def company_of(seed: int) -> Company:
    rng = random.Random(seed ^ 0x5EED5)
    word = rng.choice(COMPANY)
    return Company(f"{word} Supplies", f"{word.lower()}-supplies.com")


def _when(rng: random.Random, base: datetime, days: int) -> str:
    t = base + timedelta(seconds=rng.randrange(days * 86400))
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _luhn(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def _secret(rng: random.Random, n: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def create_tables(conn: sqlite3.Connection, schema: str, db: str) -> None:
    for table, cols in SCHEMA[db].items():
        parts = [
            f"{c} INTEGER PRIMARY KEY" if extra == "pk" else f'{c} "{t}"' for c, t, extra in cols
        ]
        conn.execute(f'CREATE TABLE "{schema}"."{table}" ({", ".join(parts)})')


def build_seed(folder: Path, seed: int, tokens: HoneytokenRegistry) -> None:
    """Write ``<folder>/<db>.sqlite`` for every seeded database (idempotent per seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    company = company_of(seed)
    base = datetime(2023, 1, 1)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for db in SCHEMA:
            tmp = folder / f"{db}.sqlite.tmp"
            tmp.unlink(missing_ok=True)
            conn.execute("ATTACH DATABASE ? AS ?", (str(tmp), db))
            create_tables(conn, db, db)
            conn.execute(f'PRAGMA "{db}".user_version = 1')
        conn.execute("BEGIN")
        _fill_shop(conn, rng, base, company, tokens)
        _fill_crm(conn, rng, base, company, tokens)
        conn.execute("COMMIT")
        for db in SCHEMA:
            conn.execute("DETACH DATABASE ?", (db,))
            (folder / f"{db}.sqlite.tmp").replace(folder / f"{db}.sqlite")
    finally:
        conn.close()


def _person(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    mail = f"{first.lower()}.{last.lower()}{rng.randrange(100) if rng.random() < 0.4 else ''}"
    return first, last, f"{mail}@{rng.choice(MAIL)}".replace("ü", "ue")


def _fill_shop(
    conn: sqlite3.Connection,
    rng: random.Random,
    base: datetime,
    company: Company,
    tokens: HoneytokenRegistry,
) -> None:
    customers = []
    for i in range(1, 121):
        first, last, mail = _person(rng)
        city, country = rng.choice(CITIES)
        cc = rng.choice((44, 49, 33, 39, 1, 31))
        phone = f"+{cc} {rng.randrange(100, 999)} {rng.randrange(1000000, 9999999)}"
        customers.append((i, first, last, mail, phone, city, country, _when(rng, base, 700)))
    conn.executemany("INSERT INTO shop.customers VALUES (?,?,?,?,?,?,?,?)", customers)
    for i, (name, price) in enumerate(PRODUCTS, 1):
        sku = f"{name.split()[0][:3].upper()}-{rng.randrange(1000, 9999)}"
        conn.execute(
            "INSERT INTO shop.products VALUES (?,?,?,?,?)",
            (i, sku, name, price, rng.randrange(0, 400)),
        )
    for i in range(1, 341):
        status = rng.choice(
            (
                "completed",
                "completed",
                "completed",
                "processing",
                "refunded",
                "cancelled",
                "on-hold",
            )
        )
        total = round(rng.choice(PRODUCTS)[1] * rng.randint(1, 4), 2)
        conn.execute(
            "INSERT INTO shop.orders VALUES (?,?,?,?,?)",
            (i, rng.randint(1, 120), status, total, _when(rng, base, 730)),
        )
    for i in range(1, 61):
        cust = customers[rng.randrange(len(customers))]
        brand, prefix, length = rng.choice(
            (
                ("Visa", "4", 16),
                ("Mastercard", "5" + str(rng.randint(1, 5)), 16),
                ("Amex", "3" + rng.choice("47"), 15),
            )
        )
        conn.execute(
            "INSERT INTO shop.payment_cards VALUES (?,?,?,?,?,?,?)",
            (
                i,
                cust[0],
                f"{cust[1]} {cust[2]}".upper(),
                brand,
                _luhn(prefix, length, rng),
                rng.randint(1, 12),
                rng.randint(2026, 2031),
            ),
        )
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    staff = [
        ("admin", "administrator"),
        (rng.choice(FIRST).lower(), "shop_manager"),
        (rng.choice(FIRST).lower() + "." + rng.choice(LAST).lower().replace("ü", "ue"), "editor"),
        ("warehouse", "shop_manager"),
        ("support", "customer_service"),
    ]
    for i, (login, role) in enumerate(staff, 1):
        word = rng.choice(("Summer", "Winter", "Falcon", "Harbor", "Orchid", "Copper", "Maple"))
        password = f"{word}{rng.randrange(10, 99)}{rng.choice('!#$%')}{_secret(rng, 3, alnum)}"
        tokens_for = tokens.by_kind("sql_password")
        if not any(t.username == login for t in tokens_for):
            tokens.register(
                "sql_password", password, username=login, planted_in=("sql:shop.users",)
            )
        token = next(t for t in tokens.by_kind("sql_password") if t.username == login)
        hashed = phpass(token.secret, _secret(rng, 8, ITOA64))
        conn.execute(
            "INSERT INTO shop.users VALUES (?,?,?,?,?,?)",
            (
                i,
                login,
                f"{login}@{company.domain}",
                hashed,
                role,
                _when(rng, base + timedelta(days=600), 120),
            ),
        )
    keys = [
        (1, "payments-live", "sk_live_"),
        (1, "shipping-api", "shp_"),
        (2, "erp-sync", "pk_live_"),
        (4, "warehouse-scanner", "whk_"),
    ]
    existing = {t.username: t for t in tokens.by_kind("api_key")}
    for i, (uid, name, prefix) in enumerate(keys, 1):
        token = existing.get(name) or tokens.register(
            "api_key",
            prefix + _secret(rng, 32, alnum),
            username=name,
            planted_in=("sql:shop.api_keys",),
        )
        conn.execute(
            "INSERT INTO shop.api_keys VALUES (?,?,?,?,?)",
            (i, uid, name, token.secret, _when(rng, base + timedelta(days=200), 300)),
        )


def _fill_crm(
    conn: sqlite3.Connection,
    rng: random.Random,
    base: datetime,
    company: Company,
    tokens: HoneytokenRegistry,
) -> None:
    for i in range(1, 41):
        word = rng.choice(COMPANY + tuple(LAST))
        name = f"{word} {rng.choice(INDUSTRIES)} {rng.choice(SUFFIX)}"
        site = f"www.{word.lower().replace('ü', 'ue')}-{rng.randrange(10, 99)}.com"
        conn.execute(
            "INSERT INTO crm.accounts VALUES (?,?,?,?,?)",
            (i, name, rng.choice(INDUSTRIES), site, float(rng.randrange(200, 90000) * 1000)),
        )
    for i in range(1, 151):
        first, last, _mail = _person(rng)
        account = rng.randint(1, 40)
        mail = f"{first[0].lower()}.{last.lower().replace('ü', 'ue')}@corp{account}.example.com"
        phone = (
            f"+{rng.choice((44, 49, 1))} {rng.randrange(100, 999)} {rng.randrange(100000, 999999)}"
        )
        conn.execute(
            "INSERT INTO crm.contacts VALUES (?,?,?,?,?,?,?)",
            (i, account, first, last, mail, phone, rng.choice(TITLES)),
        )
    for i in range(1, 91):
        close = (base + timedelta(days=rng.randrange(900))).strftime("%Y-%m-%d")
        conn.execute(
            "INSERT INTO crm.deals VALUES (?,?,?,?,?,?,?)",
            (
                i,
                rng.randint(1, 40),
                rng.randint(1, 150),
                f"{rng.choice(PRODUCTS)[0]} rollout",
                float(rng.randrange(20, 900) * 100),
                rng.choice(STAGES),
                close,
            ),
        )
    logins = ["crmadmin", rng.choice(FIRST).lower(), rng.choice(FIRST).lower() + "_sales"]
    for i, login in enumerate(logins, 1):
        existing = [t for t in tokens.by_kind("sql_password") if t.username == login]
        token = (
            existing[0]
            if existing
            else tokens.register(
                "sql_password",
                f"{rng.choice(COMPANY).lower()}{rng.randrange(1000, 9999)}",
                username=login,
                planted_in=("sql:crm.users",),
            )
        )
        conn.execute(
            "INSERT INTO crm.users VALUES (?,?,?,?,?)",
            (
                i,
                login,
                f"{login}@{company.domain}",
                hashlib.md5(token.secret.encode()).hexdigest(),
                int(i == 1),
            ),
        )
