"""PostgreSQL door: Debian 12 PostgreSQL 15 on the wire, the fake host SQL engine behind."""
