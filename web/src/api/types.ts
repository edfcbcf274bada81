// Shapes of the PhantomNet HTTP API (API-CONTRACT.md). Only what the dashboard reads.

export type Role = "admin" | "viewer";
export type Level = "LOW" | "MEDIUM" | "HIGH";

export interface Me {
  role: Role;
  auth: "on" | "off";
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface EventItem {
  id: number;
  event_id: string;
  kind: string;
  occurred_at: string;
  node: string;
  component: string;
  session_id: string | null;
  src_ip: string | null;
  src_port: number | null;
  dst_ip: string | null;
  dst_port: number | null;
  protocol: string | null;
  level: Level | null;
  score: number | null;
  payload: Record<string, unknown>;
}

export interface Stats {
  events_total: number;
  events_window: number;
  attackers_window: number;
  detections_window: number;
  blocked_active: number;
  by_protocol: Record<string, number>;
  by_kind: Record<string, number>;
  levels: Partial<Record<Level, number>>;
  score_histogram: { bucket: number; count: number }[];
  timeline: { ts: string; events: number; detections: number }[];
}

export interface ComponentStatus {
  node: string;
  component: string;
  state: string;
  up: boolean;
  listen: string | null;
  connections: number;
  events: number;
  last_seen: string | null;
  detail: string;
}

export interface AttackerItem {
  ip: string;
  first_seen: string;
  last_seen: string;
  event_count: number;
  detection_count: number;
  max_score: number | null;
  last_score: number | null;
  last_level: Level | null;
  country: string | null;
  country_code: string | null;
  city: string | null;
  asn: string | null;
  latitude: number | null;
  longitude: number | null;
  protocols: string[];
}

export interface DetectionItem {
  id: number;
  event_id: string;
  rule: string;
  severity: string;
  detector: string;
  protocol: string | null;
  src_ip: string | null;
  target_ip: string | null;
  target_port: number | null;
  first_seen_at: string;
  last_seen_at: string;
  count: number;
  summary: string;
  evidence: string[];
}

export interface SessionItem {
  session_id: string;
  component: string;
  protocol: string;
  node: string;
  src_ip: string;
  src_port: number | null;
  dst_port: number | null;
  started_at: string;
  ended_at: string | null;
  end_reason: string | null;
  username: string | null;
  authenticated: boolean;
  auth_attempts: number;
  commands: number;
  client_version: string | null;
  recording: string | null;
  has_recording: boolean;
}

export interface BlockItem {
  id: number;
  target: string;
  source: string;
  reason: string;
  created_at: string;
  expires_at: string;
  active: boolean;
  offence: number;
  removed_at: string | null;
  applied: boolean;
  backend: string;
}

export interface AttackerDetail {
  attacker: AttackerItem;
  timeline: EventItem[];
  credentials: {
    protocol: string;
    username: string;
    password: string | null;
    method: string;
    accepted: boolean;
    at: string;
  }[];
  commands: { session_id: string | null; command: string; at: string }[];
  uploads: { protocol: string; filename: string; sha256: string; size: number; at: string }[];
  fingerprints: { method: string; value: string; count: number }[];
  sessions: SessionItem[];
  detections: DetectionItem[];
  scores: { at: string; score: number; level: Level; decision: string }[];
  block: BlockItem | null;
}

export interface SessionDetail {
  session: SessionItem;
  events: EventItem[];
}

/** A live event as the SSE stream sends it: the event's own JSON (events/*.py models). */
export interface StreamEvent {
  event_id: string;
  kind: string;
  occurred_at: string;
  sensor?: { node: string; component: string };
  session_id?: string | null;
  src?: { ip: string; port: number | null } | null;
  dst?: { ip: string; port: number | null } | null;
  protocol?: string | null;
  level?: Level;
  score?: number;
  severity?: string;
  [key: string]: unknown;
}
