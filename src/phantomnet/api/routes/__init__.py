"""Routers of the API; each module exports ``router`` (included by ``api/app.py``)."""
