"""Pure parts of the SMTP sensor: Postfix wording, message analysis (fuzzed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from phantomnet.sensors.smtp import postfix
from phantomnet.sensors.smtp.message import analyse, spoofing_signs


def test_aiosmtpd_dialect_never_leaks() -> None:
    assert postfix.translate('500 Error: command "XYZ" not recognized') == (
        "502 5.5.2 Error: command not recognized"
    )
    assert postfix.translate("250 OK") == "250 2.0.0 Ok"
    assert postfix.translate("250 2.1.5 Ok") == "250 2.1.5 Ok"  # already Postfix
    for text in postfix.EXACT.values():
        assert "aiosmtpd" not in text and "not implemented" not in text


def test_queue_ids_look_like_postfix_and_differ() -> None:
    ids = {postfix.queue_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 10 and i == i.upper() for i in ids)


def test_spoofing_signs() -> None:
    local = {"corp.example"}
    assert spoofing_signs("a@corp.example", "Boss <a@corp.example>", None, local, True) == ()
    assert spoofing_signs("x@evil.example", "a@corp.example", None, local, False) == (
        "envelope_mismatch",
        "local_domain_spoof",
    )
    assert "display_name_spoof" in spoofing_signs(
        "x@evil.example", '"ceo@corp.example" <x@evil.example>', None, local, False
    )
    assert "reply_to_mismatch" in spoofing_signs(
        "x@a.example", "x@a.example", "drop@b.example", local, False
    )


def test_attachments_are_extracted() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
        b"hi\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="a.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--XX--\r\n"
    )
    info = analyse(raw, mail_from="a@b.example", local_domains=set(), authenticated=False)
    assert info.subject == "s"
    [att] = info.attachments
    assert (att.filename, att.payload) == ("a.bin", b"\x00\x01\x02")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000), st.text(max_size=60))
def test_analysis_never_raises(raw: bytes, sender: str) -> None:
    """Whatever an attacker sends as a message, analysis returns (the mail is still kept)."""
    analyse(raw, mail_from=sender, local_domains={"x.example"}, authenticated=False)
