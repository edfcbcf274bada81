"""Every error the API returns is RFC 9457 ``application/problem+json``.

This is the ONE place where exceptions become HTTP answers: the PhantomNetError tree (by the
nearest class in :data:`STATUS_BY_ERROR`), request validation errors, HTTP errors raised by the
framework (404, 405...), database outages (503) and anything unexpected (500, logged here with
its traceback, never sent to the client).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from phantomnet.errors import (
    AuthError,
    BackendUnavailable,
    BlockRefused,
    BusUnavailable,
    InvalidInput,
    ModelError,
    NotFound,
    PhantomNetError,
    ResponseError,
    StorageUnavailable,
    VerifyBusy,
)

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

#: Nearest class in the MRO wins; anything else in the tree is a 500.
STATUS_BY_ERROR: dict[type[PhantomNetError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    BlockRefused: 409,
    BackendUnavailable: 503,
    ResponseError: 500,
    StorageUnavailable: 503,
    BusUnavailable: 503,
    ModelError: 503,
    VerifyBusy: 503,
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_TYPE


def problem(status: int, detail: str, *, type_: str = "about:blank", **extra: Any) -> JSONResponse:
    """Build a problem response; ``title`` is the HTTP reason phrase of ``status``."""
    body: dict[str, Any] = {
        "type": type_,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ProblemResponse(body, status_code=status, headers=headers)


def status_for(exc: PhantomNetError) -> int:
    """The HTTP status of a PhantomNetError (AuthError carries its own)."""
    if isinstance(exc, AuthError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def _phantomnet_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PhantomNetError)
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    slug = type(exc).__name__
    return problem(status, str(exc), type_=f"urn:phantomnet:problem:{slug}")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc'])}: {first['msg']}"
    return problem(422, detail, type_="urn:phantomnet:problem:InvalidInput", errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, exc)
    return problem(503, "the database is unavailable", type_="urn:phantomnet:problem:Storage")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal error (see the server log)")


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler above on ``app``."""
    app.add_exception_handler(PhantomNetError, _phantomnet_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for db_error in (OperationalError, InterfaceError, ConnectionError):
        app.add_exception_handler(db_error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
