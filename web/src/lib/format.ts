// Display helpers: times, numbers, one-line event summaries.
import type { EventItem, StreamEvent } from "../api/types";

export function fmtNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return new Intl.NumberFormat("en-US").format(n);
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace("T", " ").slice(0, 19);
}

export function fmtClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(s)) return iso;
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v);
}

type Summariser = (p: Record<string, unknown>) => string;

const SUMMARY: Record<string, Summariser> = {
  "auth.attempt": (p) =>
    `${str(p.method)} ${str(p.username)}${p.password != null ? ` / ${str(p.password)}` : ""} ${p.accepted ? "✔ accepted" : "✘ refused"}`,
  "command.input": (p) => `$ ${str(p.command)}`,
  "command.error": (p) => `$ ${str(p.command)} ✘ ${str(p.reason)}`,
  "session.request": (p) =>
    `${str(p.request)} ${str(p.target)} ${p.accepted ? "✔ accepted" : "✘ refused"}`,
  "http.request": (p) => `${str(p.method)} ${str(p.path)} → ${str(p.status)}`,
  "file.upload": (p) => `upload ${str(p.filename)} (${str(p.size)} B)`,
  "file.download": (p) => `download ${str(p.url)}`,
  "connection.opened": (p) => `${str(p.protocol)} connection opened`,
  "connection.closed": (p) => `${str(p.protocol)} closed (${str(p.reason)})`,
  "client.fingerprint": (p) => `${str(p.method)} ${str(p.value)}`,
  detection: (p) => `[${str(p.severity)}] ${str(p.rule)}: ${str(p.summary)}`,
  score: (p) => `score ${Math.round(Number(p.score))} ${str(p.level)} → ${str(p.decision)}`,
  "response.block": (p) => `blocked ${str(p.target)} (${str(p.reason)})`,
  "response.unblock": (p) => `unblocked ${str(p.target)}`,
  "smtp.message": (p) => `mail from ${str(p.mail_from)}: ${str(p.subject)}`,
  "db.query": (p) => str(p.query),
  "network.dns": (p) => `dns ${str(p.qname ?? p.query)}`,
  "honeytoken.triggered": (p) => `honeytoken ${str(p.token_kind)} ${str(p.detail)}`,
  "sensor.status": (p) => `${str(p.state)} ${str(p.listen)}`,
};

/** One readable line for an event's payload. */
export function summarise(kind: string, payload: Record<string, unknown>): string {
  const f = SUMMARY[kind];
  const text = f ? f(payload) : "";
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The fields the live feed shows, from a stream event (the raw event JSON). */
export function streamRow(ev: StreamEvent) {
  return {
    id: ev.event_id,
    at: ev.occurred_at,
    kind: ev.kind,
    src: ev.src?.ip ?? null,
    component: ev.sensor?.component ?? "",
    protocol: (ev.protocol as string | undefined) ?? null,
    level: ev.level ?? null,
    severity: ev.severity ?? null,
    summary: summarise(ev.kind, ev),
  };
}

export function itemSummary(item: EventItem): string {
  return summarise(item.kind, item.payload);
}
