"""The ecs_file, elasticsearch and splunk_hec sections: one-line errors naming the field,
the auth header, the shipped index template against the ECS reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from phantomnet.errors import ConfigError
from phantomnet.runtime.build import enabled_sinks
from phantomnet.settings import Settings
from phantomnet.sinks.elasticsearch import ElasticsearchConfig, index_template

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "ecs" / "ecs_fields.json"
ES = "http://127.0.0.1:9200"


@pytest.mark.parametrize(
    ("name", "section", "message"),
    [
        ("elasticsearch", {"url": "ftp://x.example"}, "sinks.elasticsearch.url: 'ftp://x.example' is not an http(s) URL"),
        ("elasticsearch", {"url": "not a url"}, "is not an http(s) URL"),
        ("elasticsearch", {"url": ES + "?x=1"}, "without query or fragment"),
        ("elasticsearch", {"url": ES, "index": "Bad Index"}, "sinks.elasticsearch.index: 'Bad Index' is not an Elasticsearch index name"),
        ("elasticsearch", {"url": ES, "username": "u"}, "sinks.elasticsearch.password: required with username"),
        ("elasticsearch", {"url": ES, "password": "p"}, "sinks.elasticsearch.password: given without username"),
        ("elasticsearch", {"url": ES, "username": "u", "password": "p", "api_key": "k"}, "sinks.elasticsearch.api_key: give username/password or api_key"),
        ("elasticsearch", {"url": ES, "ca_file": "/nonexistent/ca.pem"}, "sinks.elasticsearch.ca_file"),
        ("splunk_hec", {"url": "https://splunk.example:8088"}, "sinks.splunk_hec.token"),
        ("splunk_hec", {"url": "https://splunk.example:8088", "token": " "}, "sinks.splunk_hec.token: the HEC token is empty"),
        ("splunk_hec", {"url": "splunk.example", "token": "t"}, "sinks.splunk_hec.url"),
        ("splunk_hec", {"url": "https://s.example", "token": "t", "format": "xml"}, "sinks.splunk_hec.format"),
        ("ecs_file", {}, "sinks.ecs_file.path"),
        ("ecs_file", {"path": "/tmp"}, "sinks.ecs_file.path: /tmp is a directory"),
        ("ecs_file", {"path": "/tmp/x.ndjson", "max_bytes": 0}, "sinks.ecs_file.max_bytes"),
        ("ecs_file", {"path": "/tmp/x.ndjson", "backups": -1}, "sinks.ecs_file.backups"),
        ("ecs_file", {"path": "/tmp/x.ndjson", "format": "cef"}, "sinks.ecs_file.format"),
    ],
)  # fmt: skip
def test_bad_section_is_one_line_naming_the_field(
    tmp_path: Path, name: str, section: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        enabled_sinks(Settings(data_dir=tmp_path, sinks={name: section}))
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith(f"sinks.{name}")


def test_good_sections_build_their_sinks(tmp_path: Path) -> None:
    sections: dict[str, dict[str, object]] = {
        "ecs_file": {"path": str(tmp_path / "ecs" / "events.ndjson")},
        "elasticsearch": {"url": ES + "/", "api_key": "aWQ6a2V5"},
        "splunk_hec": {"url": "https://splunk.example:8088", "token": "abc-123"},
    }
    sinks = enabled_sinks(Settings(data_dir=tmp_path, sinks=sections))
    assert sorted(s.name for s in sinks) == ["ecs_file", "elasticsearch", "splunk_hec"]
    for sink in sinks:
        assert "abc-123" not in sink.target() and "aWQ6a2V5" not in sink.target()


def test_auth_headers() -> None:
    basic = ElasticsearchConfig(url=ES, username="elastic", password="pw")  # type: ignore[arg-type]
    assert basic.auth_header() == {"Authorization": "Basic ZWxhc3RpYzpwdw=="}
    key = ElasticsearchConfig(url=ES, api_key="aWQ6a2V5")  # type: ignore[arg-type]
    assert key.auth_header() == {"Authorization": "ApiKey aWQ6a2V5"}
    assert ElasticsearchConfig(url=ES).auth_header() == {}


def _mapped(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, spec in properties.items():
        name = f"{prefix}{key}"
        if "type" in spec:
            out[name] = spec["type"]
        out.update(_mapped(spec.get("properties", {}), f"{name}."))
    return out


def test_template_maps_every_reference_field_with_its_ecs_type() -> None:
    fields: dict[str, str] = json.loads(REFERENCE.read_text())["fields"]
    template = index_template("phantomnet-events", data_stream=False)
    mapped = _mapped(template["template"]["mappings"]["properties"])
    for name, ecs_type in fields.items():
        assert mapped.get(name) == ecs_type, name
    assert template["index_patterns"] == ["phantomnet-events*"] and "data_stream" not in template
    stream = index_template("logs-phantomnet-default", data_stream=True)
    assert stream["index_patterns"] == ["logs-phantomnet-default"]
    assert stream["data_stream"] == {}
