"""The stix_file and taxii sections: one-line errors naming the field, through the loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.errors import ConfigError
from phantomnet.runtime.build import enabled_sinks
from phantomnet.settings import Settings
from phantomnet.sinks.stix_file import StixFileSink
from phantomnet.sinks.taxii import TaxiiSink, envelopes

TAXII = {"api_root": "https://taxii.example/api1", "collection": "c1"}


def settings(tmp_path: Path, **sections: dict[str, object]) -> Settings:
    return Settings(data_dir=tmp_path, sinks=sections)


@pytest.mark.parametrize(
    ("name", "section", "message"),
    [
        ("taxii", {**TAXII, "api_root": "ftp://x/"}, "sinks.taxii.api_root"),
        ("taxii", {**TAXII, "collection": "a/../b"}, "sinks.taxii.collection"),
        ("taxii", {**TAXII, "user": "u"}, "user and password go together"),
        ("taxii", {**TAXII, "password": "p"}, "user and password go together"),
        ("taxii", {**TAXII, "user": "u", "password": "p", "token": "t"}, "either token or"),
        ("taxii", {**TAXII, "kinds": ["auth.attempt"]}, "kind 'auth.attempt' has no STIX"),
        ("taxii", {**TAXII, "kinds": ["nope"]}, "unknown event kind 'nope'"),
        ("taxii", {**TAXII, "ca_file": "/nonexistent.pem"}, "sinks.taxii.ca_file"),
        ("stix_file", {"path": "relative.jsonl"}, "is not absolute"),
        ("stix_file", {"path": "/nonexistent-dir/b.jsonl"}, "does not exist"),
    ],
)
def test_bad_section_is_one_line_naming_the_field(
    tmp_path: Path, name: str, section: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        enabled_sinks(settings(tmp_path, **{name: section}))
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith(f"sinks.{name}"), text


def test_directory_as_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a regular file"):
        enabled_sinks(settings(tmp_path, stix_file={"path": str(tmp_path)}))


def test_good_sections_load_the_plugins(tmp_path: Path) -> None:
    got = enabled_sinks(
        settings(
            tmp_path,
            taxii={**TAXII, "token": "secret-token"},
            stix_file={"path": str(tmp_path / "b.jsonl")},
        )
    )
    by_name = {type(s).__name__: s for s in got}
    taxii, sfile = by_name["TaxiiSink"], by_name["StixFileSink"]
    assert isinstance(taxii, TaxiiSink) and isinstance(sfile, StixFileSink)
    assert taxii.cfg.api_root == "https://taxii.example/api1/"  # a trailing slash is added
    assert taxii.objects_url == "https://taxii.example/api1/collections/c1/objects/"
    assert "secret-token" not in taxii.target()
    assert "detection" in taxii.cfg.kinds and "file.upload" in taxii.cfg.kinds


def test_envelopes_stay_under_the_limit() -> None:
    objs = [{"id": f"x--{i}", "pad": "a" * 1000} for i in range(50)]
    chunks = list(envelopes(objs, 4096))
    assert [o for c in chunks for o in c] == objs
    assert all(len(str(c)) < 4096 * 1.2 for c in chunks) and len(chunks) > 10
    assert list(envelopes([{"big": "b" * 10_000}], 4096)) == [[{"big": "b" * 10_000}]]
