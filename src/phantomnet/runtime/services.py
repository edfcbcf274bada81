"""The API's services, composed by the runtime (``ApiServices``, see ``api/services.py``).

* **response**: the runtime's one ``ResponseService`` (built by the ``response`` part, shared
  with the reconciler); when no response part runs, one is built here and its backend checked
  (a backend that does not work fails start-up, as the response part does).
* **scorer**: a ``Scorer`` over the model the scoring service loaded (one model in memory);
  without a scoring service the model is loaded here, in a thread. A model that cannot be
  used leaves the scorer out (threat-score answers 503 saying why) rather than stopping the
  honeypot.
* **geo**: the offline geolocator of ``scoring.geo``.
* **verifier**: the ``verification`` part's ``Verifier`` (one cache, history and path-health
  table for the component and the API); without that part one is built here from
  ``[verify]`` (None when no path is configured: the verify routes answer 503).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from phantomnet.api.services import ApiServices
from phantomnet.bus.base import EventBus
from phantomnet.errors import ModelError
from phantomnet.intel.geo import GeoLocator
from phantomnet.response.factory import build_service
from phantomnet.response.service import ResponseService
from phantomnet.scoring.config import scoring_config
from phantomnet.scoring.models.scorer import ScoringModel
from phantomnet.scoring.service import Scorer, ScoringService
from phantomnet.settings import Settings
from phantomnet.storage.blocks import SqlBlockStore
from phantomnet.verify.config import verify_config
from phantomnet.verify.verifier import Verifier

log = logging.getLogger(__name__)

#: keys of ``Runtime.shared`` the parts fill in (``runtime/parts.py``)
RESPONSE_KEY = "response_service"
SCORING_KEY = "scoring_service"
VERIFIER_KEY = "verifier"
GEO_KEY = "geo"


def shared_geo(settings: Settings, shared: dict[str, Any]) -> GeoLocator:
    """The one offline geolocator of the process (its data takes ~120 MB once loaded)."""
    geo = shared.get(GEO_KEY)
    if not isinstance(geo, GeoLocator):
        geo = shared[GEO_KEY] = GeoLocator.from_config(scoring_config(settings.scoring).geo)
    return geo


def build_verifier(settings: Settings, geo: GeoLocator | None = None) -> Verifier | None:
    """The verifier of ``[verify]`` (a bad section fails start-up); None without paths.

    DNS answers are compared by network too: the offline geolocator (``scoring.geo``) names
    each address's AS, so two honest answers from one CDN agree.
    """
    cfg = verify_config(dict(settings.verify))
    if not cfg.paths:
        return None
    located = geo if geo is not None else shared_geo(settings, {})

    def asn_of(address: str) -> str | None:
        found = located.lookup(address).get("asn")
        return str(found) if found else None

    return Verifier(cfg, asn_of=asn_of)


async def api_services(
    settings: Settings, engine: Any, bus: EventBus | None, shared: dict[str, Any] | None = None
) -> ApiServices:
    """Build the API's services for ``settings``, reusing what the running parts hold."""
    shared = {} if shared is None else shared
    response = shared.get(RESPONSE_KEY)
    if not isinstance(response, ResponseService):
        publish = bus.publish if bus is not None else None
        response = build_service(settings, SqlBlockStore.from_engine(engine), publish)
        await response.blocker.check()
    config = scoring_config(settings.scoring)
    scorer: Scorer | None = None
    missing = ""
    try:
        running = shared.get(SCORING_KEY)
        if isinstance(running, ScoringService) and running.scorer is not None:
            model = running.scorer.model
        else:
            model = await asyncio.to_thread(ScoringModel.load, config)
        scorer = Scorer(model, config)
    except ModelError as exc:
        missing = f"the scoring model cannot be used: {exc}"
        log.warning("api: threat-score is off: %s", missing)
    geo = shared_geo(settings, shared)
    verifier = shared.get(VERIFIER_KEY)
    if not isinstance(verifier, Verifier):
        verifier = build_verifier(settings, geo)
    if scorer is None:
        return ApiServices(
            response=response, scorer=None, geo=geo, scorer_missing=missing, verifier=verifier
        )
    return ApiServices(response=response, scorer=scorer, geo=geo, verifier=verifier)
