"""Storage: typed tables, engines, Alembic migrations, the batch writer and retention.

Nothing is imported here: callers import the module they need (``storage.db``,
``storage.migrate``, ``storage.writer``, ``storage.retention``).
"""
