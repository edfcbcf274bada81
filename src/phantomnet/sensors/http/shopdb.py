"""The shop's database as its PHP pages use it: the fake host's SQL engine, nothing else.

Every page request opens its own connection (:func:`phantomnet.deception.sql.web.connect`),
like PHP: to the ``shop`` database, as the account the planted ``wp-config.php``, ``.env`` and
``/root/.my.cnf`` name, on the requesting source's own copy of the company data. So what the
web writes (a customer sign-up, an injected ``INSERT``) is what that source then reads over
the MySQL door, and the reverse. ``mysqli_query`` runs one statement: there are no stacked
queries here, writes go through ``register.php``'s ``INSERT``.
"""

from __future__ import annotations

from phantomnet.deception.host import FakeHost
from phantomnet.deception.sql import SqlError, web
from phantomnet.deception.sql.web import WebAnswer

DATABASE = "shop"
DEFAULT_USER = "wpuser"
MAX_DELAY_S = 10.0  # what the page's answer may be held back by SLEEP()/BENCHMARK()

PRODUCT_SQL = "SELECT id, name, price, stock FROM products WHERE id = {id}"
REGISTER_FIELDS = ("first_name", "last_name", "email", "phone", "city", "country")
REGISTER_SQL = (
    "INSERT INTO customers (first_name, last_name, email, phone, city, country, created_at) "
    "VALUES ('{first_name}', '{last_name}', '{email}', '{phone}', '{city}', '{country}', NOW())"
)

__all__ = ["DATABASE", "MAX_DELAY_S", "ShopDb", "WebAnswer"]


class ShopDb:
    """The web application's connection settings and its two queries."""

    def __init__(self, host: FakeHost) -> None:
        self.host = host

    @property
    def user(self) -> str:
        """The DB account of the planted configuration files (the ``db_password`` token)."""
        tokens = self.host.tokens.by_kind("db_password")
        return (tokens[0].username if tokens else None) or DEFAULT_USER

    def run(self, source: str, sql: str) -> WebAnswer:
        """One ``mysqli_query`` on a fresh connection for ``source``."""
        try:
            session = web.connect(self.host.sql, source, user=self.user, database=DATABASE)
        except SqlError as exc:
            return WebAnswer(error=exc)
        try:
            answer = web.query(session, sql)
        finally:
            session.close()
        return answer

    def product(self, source: str, raw_id: str) -> WebAnswer:
        """``products.php``: the attacker's ``id`` spliced in, as the page's source shows."""
        return self.run(source, PRODUCT_SQL.format(id=raw_id))

    def register(self, source: str, form: dict[str, str]) -> WebAnswer:
        """``register.php``: the sign-up form's fields spliced into an ``INSERT``."""
        values = {name: form.get(name, "") for name in REGISTER_FIELDS}
        return self.run(source, REGISTER_SQL.format(**values))
