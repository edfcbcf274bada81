"""FeatureExtractor: documented vectors, no identity shortcuts, context and sessions."""

from __future__ import annotations

import math
from uuid import uuid4

from scoring_helpers import flow, http_request, ssh_session, syn_probe

from phantomnet.scoring.features import (
    FLOW_FEATURES,
    FeatureExtractor,
    FlowFeatures,
    flow_feature_names,
    shannon_entropy,
)
from phantomnet.scoring.session_features import SESSION_FEATURES, SessionFeatures


def named(vec: list[float] | tuple[float, ...], names: tuple[str, ...]) -> dict[str, float]:
    assert len(vec) == len(names)
    return dict(zip(names, vec, strict=True))


def test_at_least_15_documented_features_per_head() -> None:
    for specs in (FLOW_FEATURES, SESSION_FEATURES):
        assert len(specs) >= 15
        assert len({s.name for s in specs}) == len(specs)
        assert all(s.doc for s in specs)


def test_identity_is_excluded_by_default() -> None:
    names = flow_feature_names()
    assert not {"src_ip", "dst_ip", "src_port", "dst_port", "ttl", "timestamp"} & set(names)
    a = FlowFeatures().vector(flow("198.51.100.7", 80, sport=40000))
    b = FlowFeatures().vector(flow("203.0.113.9", 8080, sport=51234, t=3600))
    # Different addresses, ports (both >= 1024 or both < 1024 classes aside) and times:
    # only the port class may differ.
    diff = [n for n, x, y in zip(names, a, b, strict=True) if x != y]
    assert diff == ["dst_port_wellknown"]


def test_identity_columns_only_when_asked() -> None:
    fx = FlowFeatures(include_identity=True)
    v = named(fx.vector(flow(dport=8443, sport=41000)), fx.names)
    assert (v["dst_port"], v["src_port"]) == (8443.0, 41000.0)


def test_flow_shape_features() -> None:
    fx = FlowFeatures()
    web = named(fx.vector(flow()), fx.names)
    assert web["handshake_ok"] == 1.0 and web["no_reply"] == 0.0
    assert web["down_up_ratio"] > 5
    assert math.isclose(web["bytes_out_log"], math.log1p(500))
    probe = named(FlowFeatures().vector(syn_probe("198.51.100.8", 22, 0.0)), fx.names)
    assert probe["rst_ratio"] == 0.5 and probe["handshake_ok"] == 0.0
    xmas = named(FlowFeatures().vector(flow(fout=0x29, fin=0x14, pout=1, pin=1)), fx.names)
    assert xmas["flag_anomaly"] == 1.0


def test_source_context_counts_a_scan() -> None:
    fx = FlowFeatures(context_window_s=10)
    vecs = [
        named(fx.vector(syn_probe("198.51.100.9", p, p * 0.001)), fx.names) for p in range(1, 201)
    ]
    last = vecs[-1]
    assert last["ctx_flows"] == 200 and last["ctx_dst_ports"] == 200
    assert last["ctx_failed_ratio"] == 1.0
    # Another source is unaffected, and the window forgets old flows.
    other = named(fx.vector(flow("198.51.100.10", t=0.3)), fx.names)
    assert other["ctx_flows"] == 1
    later = named(fx.vector(syn_probe("198.51.100.9", 1, 60.0)), fx.names)
    assert later["ctx_flows"] == 1


def test_context_state_is_bounded() -> None:
    fx = FlowFeatures(max_sources=100)
    for i in range(1000):
        fx.vector(flow(f"10.0.{i // 250}.{i % 250}", t=i * 0.01))
    assert len(fx.context) == 100


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert math.isclose(shannon_entropy("abcd"), 2.0)


def test_brute_force_session_vs_benign_login() -> None:
    sf = SessionFeatures()
    names = sf.names
    brute = [
        s for e in ssh_session("198.51.100.20", failures=12, accepted=False) for s in sf.observe(e)
    ]  # type: ignore[arg-type]
    benign = [
        s for e in ssh_session("198.51.100.21", commands=("ls", "uname -a")) for s in sf.observe(e)
    ]  # type: ignore[arg-type]
    final_brute = named(brute[-1].vector, names)
    final_benign = named(benign[-1].vector, names)
    assert brute[-1].head == "session" and brute[-1].subject_kind == "session"
    assert final_brute["auth_attempts"] == 12 and final_brute["auth_failed_ratio"] == 1.0
    assert final_brute["distinct_usernames"] == 3 and final_brute["proto_ssh"] == 1.0
    assert final_benign["auth_accepted"] == 1.0 and final_benign["commands"] == 2
    assert final_benign["auth_failed_ratio"] == 0.0
    assert len(sf) == 0  # both closed


def test_long_session_is_scored_at_checkpoints() -> None:
    sf = SessionFeatures()
    events = ssh_session("198.51.100.22", failures=70, accepted=False)
    emitted = [s for e in events for s in sf.observe(e)]  # type: ignore[arg-type]
    # checkpoints at 16 and 64 events, then the close
    assert [named(s.vector, sf.names)["events"] for s in emitted] == [16, 64, 72]


def test_http_without_session_id_groups_by_source_and_expires() -> None:
    fx = FeatureExtractor(session_idle_s=30)
    for i in range(5):
        assert (
            fx.observe(http_request("198.51.100.30", f"/p{i}", "id=1' OR '1'='1", status=500, t=i))
            == []
        )
    assert fx.expire(0.0) == []  # not idle yet relative to an early clock
    from scoring_helpers import T0

    done = fx.expire(T0.timestamp() + 100)
    assert len(done) == 1
    v = named(done[0].vector, fx.sessions.names)
    assert v["http_requests"] == 5 and v["http_error_ratio"] == 1.0
    assert v["special_char_ratio"] > 0.1 and v["proto_http"] == 1.0


def test_sessions_are_bounded() -> None:
    sf = SessionFeatures(max_sessions=10)
    out = []
    for i in range(25):
        out += sf.observe(http_request("198.51.100.40", "/", sid=uuid4(), t=i))
    assert len(sf) == 10 and len(out) == 15  # evicted sessions are scored, not lost


def test_extractor_routes_flows_and_ignores_other_kinds() -> None:
    fx = FeatureExtractor()
    [subject] = fx.observe(flow())
    assert subject.head == "flow" and len(subject.vector) == len(FLOW_FEATURES)
    assert subject.subject_kind == "network.flow"


def test_session_source_context_spans_connections() -> None:
    """hydra's http-form module uses one connection per password: each session alone looks
    like one failed login; the source context sees the storm."""
    sf = SessionFeatures(context_window_s=120)
    last = None
    for i in range(30):
        sid = uuid4()
        for ev in ssh_session("198.51.100.50", sid, failures=1, accepted=False, t=i * 0.5):
            for s in sf.observe(ev):  # type: ignore[arg-type]
                last = named(s.vector, sf.names)
    assert last is not None
    assert last["auth_attempts"] == 1
    assert last["ctx_sessions"] == 30 and last["ctx_auth_failed"] == 30
    other = [s for ev in ssh_session("198.51.100.51", t=20) for s in sf.observe(ev)]  # type: ignore[arg-type]
    assert named(other[-1].vector, sf.names)["ctx_auth_failed"] == 0
    late = [
        s
        for ev in ssh_session("198.51.100.50", failures=1, accepted=False, t=900)
        for s in sf.observe(ev)
    ]  # type: ignore[arg-type]
    assert named(late[-1].vector, sf.names)["ctx_sessions"] == 1  # window forgot the storm
