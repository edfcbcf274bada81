"""Serve the built dashboard (``web/`` -> ``dashboard/static/``) from the FastAPI app.

``mount_dashboard(app)`` (once, in ``create_app``) makes the dashboard the router's fallback
for every request no API route matched: hashed files under ``/assets/`` are served with an
immutable one-year cache, other existing files as they are, and every other client route
(``/events``, ``/attackers/1.2.3.4``...) gets ``index.html`` (no-cache) so the single-page app
can route it. Paths under the API prefixes never fall back to ``index.html``: they get a
problem+json 404.
"""

from phantomnet.dashboard.static_files import (
    API_PREFIXES,
    DEFAULT_STATIC_DIR,
    DashboardFiles,
    mount_dashboard,
)

__all__ = ["API_PREFIXES", "DEFAULT_STATIC_DIR", "DashboardFiles", "mount_dashboard"]
