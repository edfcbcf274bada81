"""One SQL engine behind the web shop and the MySQL door: the same source sees the same rows.

The HTTP and MySQL doors run on one fake host (one data dir, one ``SensorContext``). A
customer registered through ``register.php`` (curl) is in ``shop.customers`` over the MySQL
door (pymysql, logged in with the credentials the web's ``.env`` leaks); a product inserted
over MySQL is shown by ``products.php`` and reachable by UNION injection. Another source
(127.0.0.2, still to 127.0.0.1) has its own copy and sees neither.
"""

from __future__ import annotations

import asyncio
import html
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pymysql
import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from phantomnet.sensors.mysql.config import MysqlConfig
from phantomnet.sensors.mysql.sensor import MysqlSensor
from tests.conftest import require_tool

pytestmark = pytest.mark.integration

OTHER = "127.0.0.2"  # a second attacker source on the loopback


@dataclass
class Doors:
    http: HttpSensor
    mysql: MysqlSensor

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.http.bound_port}"


@pytest.fixture
async def doors(tmp_path: Path) -> AsyncIterator[Doors]:
    ctx = SensorContext(node="test", bus=MemoryBus(), data_dir=tmp_path / "data")
    http = HttpSensor(HttpConfig(host="127.0.0.1", port=0, tls_port=None), ctx)
    mysql = MysqlSensor(MysqlConfig(host="127.0.0.1", port=0, tls=False), ctx)
    assert http.site.host is mysql.host  # one fake host, hence one SQL engine
    tasks = []
    for sensor in (http, mysql):
        await sensor.start()
        tasks.append(asyncio.create_task(sensor.run()))
    yield Doors(http, mysql)
    for sensor in (http, mysql):
        await sensor.stop()
    for task in tasks:
        task.cancel()


async def curl(*args: str, source: str = "127.0.0.1") -> str:
    out = await asyncio.to_thread(
        subprocess.run, ["curl", "-sS", "--max-time", "30", "--interface", source, *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


async def leaked_login(doors: Doors) -> tuple[str, str]:
    """DB_USERNAME / DB_PASSWORD from the web root's ``.env`` (what an attacker reads)."""
    env = await curl(f"{doors.web}/.env")
    values = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    return values["DB_USERNAME"], values["DB_PASSWORD"]


def sql(doors: Doors, login: tuple[str, str], statements: list[str],
        source: str = "127.0.0.1") -> list[Any]:  # fmt: skip
    """Run ``statements`` over the MySQL door with pymysql; the last one's rows (and the
    connection's last insert id, for an INSERT)."""
    conn = pymysql.connect(host="127.0.0.1", port=doors.mysql.bound_port, user=login[0],
                           password=login[1], database="shop", connect_timeout=20,
                           bind_address=source, ssl_disabled=True)  # fmt: skip
    with conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        rows = list(cur.fetchall())
        conn.commit()
        return rows or [cur.lastrowid]


async def test_a_customer_registered_on_the_web_is_in_shop_customers_over_mysql(
    doors: Doors,
) -> None:
    require_tool("curl")
    login = await leaked_login(doors)
    form = {"first_name": "Mallory", "last_name": "Web", "email": "mallory@evil.example",
            "phone": "+1 555 0100", "city": "Springfield", "country": "US"}  # fmt: skip
    body = "&".join(f"{k}={quote(v)}" for k, v in form.items())
    page = await curl("-d", body, f"{doors.web}/register.php")
    found = re.search(r"Welcome, Mallory! Your customer number is (\d+)\.", page)
    assert found, page
    number = int(found.group(1))
    assert number == 121  # after the 120 seeded customers
    query = f"SELECT first_name, last_name, email, country FROM customers WHERE id = {number}"
    rows = await asyncio.to_thread(sql, doors, login, [query])
    assert rows == [("Mallory", "Web", "mallory@evil.example", "US")]
    # an injected second row, through the same INSERT (no stacked queries needed)
    evil = dict(form, country="US', NOW()), ('Eve', 'Injected', 'eve@evil.example', '0', 'X', 'DE")
    body = "&".join(f"{k}={quote(v)}" for k, v in evil.items())
    page = await curl("-d", body, f"{doors.web}/register.php")
    assert "Your customer number is" in page, page
    query = "SELECT first_name, last_name FROM customers WHERE id > 121 ORDER BY id"
    rows = await asyncio.to_thread(sql, doors, login, [query])
    assert rows == [("Mallory", "Web"), ("Eve", "Injected")]
    # another source has its own copy: none of this is there
    rows = await asyncio.to_thread(sql, doors, login, ["SELECT count(*) FROM customers"], OTHER)
    assert rows == [(120,)]


async def test_a_product_inserted_over_mysql_is_on_the_web_shop_and_its_injection(
    doors: Doors,
) -> None:
    require_tool("curl")
    login = await leaked_login(doors)
    insert = ("INSERT INTO products (sku, name, price, stock) "
              "VALUES ('PWN-1', 'Backdoor Router X1', 13.37, 7)")  # fmt: skip
    (new_id,) = await asyncio.to_thread(sql, doors, login, [insert])
    assert new_id == 13  # after the 12 seeded products
    page = html.unescape(await curl(f"{doors.web}/products.php?id={new_id}"))
    assert "<h2>Backdoor Router X1</h2>" in page and "Price: €13.37" in page, page
    assert "In stock: 7" in page
    union = quote("-1 UNION SELECT 1, sku, 2, 3 FROM products WHERE name LIKE 'Backdoor%'")
    page = await curl(f"{doors.web}/products.php?id={union}")
    assert "<h2>PWN-1</h2>" in page, page
    stacked = quote(f"{new_id}; DELETE FROM products")  # mysqli_query: one statement only
    page = await curl(f"{doors.web}/products.php?id={stacked}")
    assert "right syntax to use near &#x27;DELETE FROM products&#x27;" in page or (
        "right syntax to use near 'DELETE FROM products' at line 1" in page
    ), page
    rows = await asyncio.to_thread(sql, doors, login, ["SELECT count(*) FROM products"])
    assert rows == [(13,)]
    other = await curl(f"{doors.web}/products.php?id={new_id}", source=OTHER)
    assert "Product not found." in other and "Backdoor" not in other
