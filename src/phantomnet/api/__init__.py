"""The REST API: ``create_app(settings)`` builds it (see ``api/app.py``)."""

from phantomnet.api.app import create_app

__all__ = ["create_app"]
