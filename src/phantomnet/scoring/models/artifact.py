"""Model artefacts: skops files, pinned by SHA-256, with a metadata JSON beside them.

A model directory holds ``model.skops`` (every number that changes a score: forests,
feature names, classes, anomaly calibration) and ``metadata.json`` (what it was trained on,
its metrics, the hash). Loading reads the bytes once, checks their SHA-256 against the pinned
value BEFORE any deserialisation (:class:`ArtifactIntegrityError` otherwise), then lets skops
load only the types in :data:`TRUSTED_TYPES` (never "trust everything", never pickle).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from phantomnet.errors import ArtifactIntegrityError, ModelError

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"

#: Types outside skops' default trust that a PhantomNet model may contain.
TRUSTED_TYPES: frozenset[str] = frozenset({"sklearn.tree._tree.Tree"})


def default_model_dir() -> Path:
    """The directory of the model shipped in the package."""
    return Path(str(resources.files("phantomnet.scoring") / "default_model"))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_artifact(obj: dict[str, Any], metadata: dict[str, Any], directory: Path) -> str:
    """Write ``obj`` with skops and ``metadata`` as JSON; return the artefact's SHA-256."""
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    data = _stable_zip(sio.dumps(obj))
    untrusted = set(sio.get_untrusted_types(data=data))
    if untrusted - TRUSTED_TYPES:
        raise ModelError(f"model would need untrusted types: {sorted(untrusted - TRUSTED_TYPES)}")
    (directory / MODEL_FILE).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    meta = {**metadata, "artifact": MODEL_FILE, "artifact_sha256": digest}
    (directory / METADATA_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return digest


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a skops zip deterministically so equal models hash equal.

    skops names array files and ``__id__`` memo keys after ``id()`` (memory addresses) and
    stamps the current time: files and ids are renumbered in order of first mention in
    ``schema.json`` (same old id -> same new id) and every timestamp is fixed.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        schema = src.read("schema.json").decode()
        names: dict[str, str] = {}
        for match in re.finditer(r'"([^"/]+\.npy)"', schema):
            names.setdefault(match[1], f"a{len(names):06d}.npy")
        schema = re.sub(r'"([^"/]+\.npy)"', lambda m: f'"{names.get(m[1], m[1])}"', schema)
        ids: dict[str, int] = {}
        schema = re.sub(
            r'"__id__": (\d+)', lambda m: f'"__id__": {ids.setdefault(m[1], len(ids) + 1)}', schema
        )
        entries = {"schema.json": schema.encode()}
        for name in src.namelist():
            if name != "schema.json":
                entries[names.get(name, name)] = src.read(name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, entries[name], compresslevel=9)
    return out.getvalue()


def load_artifact(directory: Path, expected_sha256: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check and load a model directory; return ``(model object, metadata)``.

    Raises :class:`ArtifactIntegrityError` when the bytes do not match ``expected_sha256``
    and :class:`ModelError` when the file is missing, needs untrusted types or is malformed.
    """
    import skops.io as sio

    path = directory / MODEL_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model artefact {path}: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected_sha256.lower():
        raise ArtifactIntegrityError(
            f"{path}: SHA-256 {digest} does not match the pinned {expected_sha256}"
        )
    try:
        untrusted = set(sio.get_untrusted_types(data=data))
        if untrusted - TRUSTED_TYPES:
            raise ModelError(f"{path}: refuses untrusted types {sorted(untrusted - TRUSTED_TYPES)}")
        obj = sio.loads(data, trusted=sorted(untrusted))
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a valid skops model: {exc}") from exc
    if not isinstance(obj, dict) or "heads" not in obj:
        raise ModelError(f"{path}: not a PhantomNet model (no 'heads')")
    return obj, _metadata(directory)


def _metadata(directory: Path) -> dict[str, Any]:
    try:
        meta = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{directory / METADATA_FILE}: unreadable metadata: {exc}") from exc
    return meta if isinstance(meta, dict) else {}
