"""PhantomNet's one exception tree.

Library code raises these; only the CLI turns them into exit codes and only the API turns
them into problem responses (``api/errors.py``). Catch narrowly.

* PhantomNetError
  + ConfigError            settings file or environment is wrong
  + PluginError            an enabled plug-in is missing or broken
  + BusError               the event bus failed
    - BusUnavailable       it cannot be reached right now (retry later)
  + StorageError           the database failed
    - StorageUnavailable   it cannot be reached right now (retry later)
  + NotFound               a requested object does not exist
    - UnknownDomain        every verification path agrees the name has no address
  + InvalidInput           a user-supplied value is malformed (bad IP, bad duration...)
  + AuthError              missing/invalid token or insufficient role
  + SensorError            a sensor could not start
    - PortInUse            its port is taken (never kill the holder)
  + ResponseError          the response layer refused or failed
    - BlockRefused         the address is allowlisted or too wide
    - BackendUnavailable   the firewall backend does not work on this host
  + ModelError             a scoring model could not be used
    - ArtifactIntegrityError  the artefact's SHA-256 does not match the pinned one
  + CaptureError           a capture file/interface/BPF filter cannot be used
  + VerifyPathError        a verification path got no usable answer
"""

from __future__ import annotations


class PhantomNetError(Exception):
    """Base of every error PhantomNet raises on purpose."""


class ConfigError(PhantomNetError):
    """Settings are invalid; the message names the offending field."""


class PluginError(PhantomNetError):
    """An enabled plug-in could not be loaded or validated."""


class BusError(PhantomNetError):
    """The event bus failed."""


class BusUnavailable(BusError):
    """The bus cannot be reached right now."""


class StorageError(PhantomNetError):
    """The database failed."""


class StorageUnavailable(StorageError):
    """The database cannot be reached right now."""


class NotFound(PhantomNetError):
    """A requested object does not exist."""


class UnknownDomain(NotFound):
    """Every verification path that answered agrees the name has no address (NXDOMAIN)."""


class InvalidInput(PhantomNetError):
    """A user-supplied value is malformed."""


class AuthError(PhantomNetError):
    """Authentication or authorisation failed."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class SensorError(PhantomNetError):
    """A sensor could not start."""


class PortInUse(SensorError):
    """The sensor's port is already taken."""


class ResponseError(PhantomNetError):
    """The response layer refused or failed."""


class BlockRefused(ResponseError):
    """The address may not be blocked (allowlisted, too wide, malformed)."""


class BackendUnavailable(ResponseError):
    """The chosen firewall backend does not work on this host."""


class ModelError(PhantomNetError):
    """A scoring model could not be used."""


class ArtifactIntegrityError(ModelError):
    """A model artefact does not match its pinned SHA-256."""


class CaptureError(PhantomNetError):
    """A capture source failed: missing/corrupt capture file, bad BPF filter, no permission."""


class VerifyPathError(PhantomNetError):
    """A verification path got no usable answer (the vote counts it as a failure)."""


class VerifyBusy(PhantomNetError):
    """Too many verifications are running or waiting (``[verify] max_running``/``max_waiting``)."""
