"""RFC 5424 structured data and CEF escaping, and the sink filters."""

from __future__ import annotations

from tests.integration.sinks.helpers import detection

from phantomnet.sinks import formats
from phantomnet.sinks.base import SinkConfig


def test_rfc5424_header_and_escaped_structured_data() -> None:
    event = detection(3, severity="low")
    raw = formats.rfc5424(event, facility=10, app_name="phantomnet", hostname="node 1").decode()
    assert raw.startswith("<85>1 ")  # authpriv(10)*8 + notice(5)
    head = raw.split(" ", 7)
    assert head[2:6] == ["node_1", "phantomnet", "-", "detection"]
    assert f'event_id="{event.event_id}"' in raw


def test_sd_values_escape_quote_backslash_and_bracket() -> None:
    assert formats._sd_value('a"b\\c]d') == 'a\\"b\\\\c\\]d'


def test_cef_escapes_pipes_in_header_and_equals_in_extension() -> None:
    text = formats.cef(detection(0), version="0.1.0")
    assert text.startswith("CEF:0|PhantomNet|PhantomNet|0.1.0|brute_force|brute force #0 \\| a")
    assert "|8|rt=" in text


def test_filters() -> None:
    cfg = SinkConfig(min_severity="high", rules=("brute_force",))
    assert cfg.wants(detection(0, severity="critical"))
    assert not cfg.wants(detection(0, severity="medium"))
    assert not cfg.wants(detection(0, rule="http_attacks"))
    assert SinkConfig().wants(detection(0, severity="low"))


def test_long_messages_are_cut_on_a_character_boundary() -> None:
    from phantomnet.sinks.syslog import SyslogConfig, SyslogSink

    sink = SyslogSink(SyslogConfig(host="h", max_message_bytes=600), "node-1")
    event = detection(0).model_copy(update={"summary": "é" * 5000})
    raw = sink.render(event)
    assert len(raw) <= 600 and raw.decode().startswith("<83>1 ")
    assert f'event_id="{event.event_id}"' in raw.decode()  # the facts come first
