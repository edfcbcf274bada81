"""The services the API's routes use, built by the runtime and handed to ``create_app``.

``runtime/services.py`` builds an :class:`ApiServices` once per process: the runtime's own
``ResponseService`` (the one the reconciler uses: one lock, one firewall, one set of
counters), a ``Scorer`` over the model the scoring service already loaded, and the
geolocator. Routes reach them through the typed dependencies of ``api/deps.py``
(``ResponseDep``, ``ScorerDep``, ``GeoDep``); no route builds a service.

``create_app(settings)`` without services (tests, benches) gets :meth:`ApiServices.none`: the
routes that need a missing service answer 503 with the reason below, the rest work.
"""

from __future__ import annotations

from dataclasses import dataclass

from phantomnet.intel.geo import GeoLocator
from phantomnet.response.service import ResponseService
from phantomnet.scoring.service import Scorer
from phantomnet.verify.verifier import Verifier

NO_RESPONSE = "this API process has no response service (the runtime hands it one)"
NO_SCORER = "this API process has no scoring model (the runtime hands it one)"
NO_VERIFIER = "multi-path verification is not configured ([[verify.paths]])"


@dataclass(frozen=True)
class ApiServices:
    """What the routes use beyond the database and the bus. ``None``: not available here."""

    #: blocks and unblocks (``/api/active-defense/*``, ``/block-ip``)
    response: ResponseService | None
    #: the threat-score model with the API's own per-source context and cache
    scorer: Scorer | None
    #: geolocation of attacker addresses (``/analyze-traffic``)
    geo: GeoLocator | None
    #: the 503 text when ``scorer`` is None (e.g. why the model could not be loaded)
    scorer_missing: str = NO_SCORER
    #: multi-path verification (``/api/v1/verify*``)
    verifier: Verifier | None = None

    @classmethod
    def none(cls, geo: GeoLocator | None = None) -> ApiServices:
        """No response service and no scorer (``create_app`` without services)."""
        return cls(response=None, scorer=None, geo=geo)
