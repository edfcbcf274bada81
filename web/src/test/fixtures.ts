// API answers for page tests (shapes from the generated OpenAPI types).
import type { AttackerDetail, AttackerItem, DetectionItem, EventItem, Facets, SessionDetail, SessionItem, Stats } from "../api/types";

export const IP = "203.0.113.7";
export const SESSION_ID = "11111111-2222-4333-8444-555555555555";

export function eventItem(i: number, kind = "command.input"): EventItem {
  return {
    id: i,
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    kind,
    occurred_at: new Date(Date.UTC(2026, 10, 21, 7, 0, i)).toISOString(),
    node: "n1",
    component: "ssh",
    session_id: SESSION_ID,
    src_ip: IP,
    src_port: 40000 + i,
    dst_ip: "127.0.0.1",
    dst_port: 2222,
    protocol: "ssh",
    level: "HIGH",
    score: 91,
    payload: { command: `uname -a #${i}` },
  };
}

export const ATTACKER: AttackerItem = {
  ip: IP, first_seen: "2026-11-21T06:00:00Z", last_seen: "2026-11-21T07:00:00Z", event_count: 42,
  detection_count: 2, max_score: 91, last_score: 80, last_level: "HIGH", country: "Testland",
  country_code: "TL", city: "Testville", asn: "AS64500", latitude: 48.1, longitude: 11.5, protocols: ["ssh"],
};

export const DETECTION: DetectionItem = {
  id: 1, event_id: "00000000-0000-4000-8000-00000000aaaa", rule: "http_sqli", severity: "high",
  detector: "http_attacks", protocol: "http", src_ip: IP, target_ip: "127.0.0.1", target_port: 8080,
  first_seen_at: "2026-11-21T06:59:00Z", last_seen_at: "2026-11-21T07:00:00Z", count: 3,
  summary: "SQL injection attempt on /product.php?id=1' OR '1'='1",
  evidence: ["event:00000000-0000-4000-8000-000000000001", `packet:${"9".repeat(200)}`],
};

export const SPOOF: DetectionItem = {
  ...DETECTION, id: 2, event_id: "00000000-0000-4000-8000-00000000bbbb", rule: "dns_spoof",
  detector: "monitor.dns_spoof", protocol: "dns", summary: "DNS spoofing suspected for bank.example",
  evidence: ["packet:12"], verified: true,
  verification_details: { outcome: "confirmed", confidence: "HIGH", compromised_paths: ["observed-on-wire"] },
};

export const PATHS = {
  items: [
    { name: "p0-dns", kind: "netns", labels: {}, state: "ok", last_latency_ms: 12.4, last_error: null, last_checked_at: "2026-11-21T07:00:00Z", answered: 5, failed: 0 },
    { name: "p1-dns", kind: "netns", labels: {}, state: "failing", last_latency_ms: null, last_error: "VerifyPathError: p1-dns: REFUSED", last_checked_at: "2026-11-21T07:00:00Z", answered: 1, failed: 4 },
  ],
};

export const SESSION: SessionItem = {
  session_id: SESSION_ID, component: "ssh", protocol: "ssh", node: "n1", src_ip: IP, src_port: 40001,
  dst_port: 2222, started_at: "2026-11-21T06:59:00Z", ended_at: "2026-11-21T07:00:00Z", end_reason: "closed",
  username: "root", authenticated: true, auth_attempts: 2, commands: 3, client_version: "SSH-2.0-OpenSSH_9.2",
  recording: null, has_recording: false,
};

export const STATS: Stats = {
  events_total: 1000, events_window: 420, attackers_window: 6, detections_window: 3, blocked_active: 1,
  blocked_unapplied: 0, by_protocol: { ssh: 300 }, by_kind: {}, levels: { HIGH: 4 },
  score_histogram: [{ bucket: 9, count: 4 }], timeline: [],
};

export const FACETS: Facets = {
  kinds: ["auth.attempt", "command.input", "sensor.status"], protocols: ["ssh"], sensors: ["ssh"],
  rules: ["http_sqli"], severities: ["high"],
};

export function attackerDetail(block: AttackerDetail["block"] = null): AttackerDetail {
  return {
    attacker: ATTACKER,
    timeline: [eventItem(1), eventItem(2)],
    credentials: [{ protocol: "ssh", username: "root", password: "toor", method: "password", accepted: true, at: "2026-11-21T06:59:00Z" }],
    commands: [{ session_id: SESSION_ID, command: "uname -a", at: "2026-11-21T07:00:00Z" }],
    uploads: [],
    fingerprints: [{ method: "hassh", value: "abc", count: 1 }],
    sessions: [SESSION],
    detections: [DETECTION],
    scores: [],
    block,
  };
}

export const SESSION_DETAIL: SessionDetail = { session: SESSION, events: [eventItem(1), eventItem(2)] };

/** Answers for every GET the pages make (undefined: 404). */
export function pageRoutes(url: string): { status: number; body: unknown } | undefined {
  const path = url.split("?")[0];
  if (path === "/api/me") return { status: 200, body: { role: "admin", auth: "on" } };
  if (path === "/api/stats") return { status: 200, body: STATS };
  if (path === "/api/facets") return { status: 200, body: FACETS };
  if (path === "/api/honeypots/status") return { status: 200, body: { items: [] } };
  if (path === "/api/attackers") return { status: 200, body: { items: [ATTACKER] } };
  if (path === `/api/attackers/${IP}`) return { status: 200, body: attackerDetail() };
  if (path === "/api/events") return { status: 200, body: { items: [eventItem(1), eventItem(2)], next_cursor: null } };
  if (path.startsWith("/api/events/")) return { status: 200, body: eventItem(1) };
  if (path === "/api/detections") return { status: 200, body: { items: [DETECTION, SPOOF], next_cursor: null } };
  if (path === "/api/v1/verify/paths") return { status: 200, body: PATHS };
  if (path === `/api/sessions/${SESSION_ID}`) return { status: 200, body: SESSION_DETAIL };
  if (path === "/api/stream/ticket") return { status: 200, body: { ticket: "pt_x", expires_in_s: 30 } };
  return undefined;
}
