// Filters of the events table. Values live in the URL so a filtered view can be shared.
// The kinds, protocols and sensors offered are the stored ones (/api/facets), so no filter
// lists something nothing produces.
import { useState } from "react";
import type { FormEvent } from "react";
import type { Facets } from "../api/types";
import { LEVELS } from "../lib/kinds";

/** Heartbeats: hidden from the events list unless asked for (or chosen as the kind). */
export const HEARTBEAT_KIND = "sensor.status";

export interface EventFilter {
  level: string;
  protocol: string;
  sensor: string;
  kind: string;
  src_ip: string;
  range: string; // "", "15m", "1h", "24h", "7d" or "custom"
  since: string; // datetime-local text (UTC) when range = custom
  until: string;
  heartbeats: string; // "1": show sensor.status heartbeats too
}

export const EMPTY_FILTER: EventFilter = {
  level: "", protocol: "", sensor: "", kind: "", src_ip: "", range: "", since: "", until: "", heartbeats: "",
};

const RANGES: Record<string, number> = { "15m": 900, "1h": 3600, "24h": 86400, "7d": 604800 };

export function filterFromParams(p: URLSearchParams): EventFilter {
  const f = { ...EMPTY_FILTER };
  for (const k of Object.keys(f) as (keyof EventFilter)[]) f[k] = p.get(k) ?? "";
  return f;
}

export function filterToParams(f: EventFilter): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  return p;
}

function localToIso(v: string): string {
  return v ? new Date(`${v}Z`).toISOString() : "";
}

/** API query parameters for /api/events (time presets resolved against `now`). */
export function filterToQuery(f: EventFilter, now = Date.now()): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.level) q.level = f.level;
  if (f.protocol) q.protocol = f.protocol;
  if (f.sensor) q.sensor = f.sensor.trim();
  if (f.kind) q.kind = f.kind;
  else if (!f.heartbeats) q.exclude_kind = HEARTBEAT_KIND;
  if (f.src_ip) q.src_ip = f.src_ip.trim();
  if (f.range in RANGES) q.since = new Date(now - RANGES[f.range] * 1000).toISOString();
  if (f.range === "custom") {
    if (f.since) q.since = localToIso(f.since);
    if (f.until) q.until = localToIso(f.until);
  }
  return q;
}

const input = "rounded border border-slate-700 bg-slate-950 px-2 py-1 text-sm outline-none focus:border-cyan-500";

function Select(props: { label: string; value: string; options: readonly string[]; onChange: (v: string) => void }) {
  // A value from the URL stays selectable even when nothing stores it (any more).
  const options = props.value && !props.options.includes(props.value) ? [props.value, ...props.options] : props.options;
  return (
    <label className="flex flex-col text-[11px] text-slate-500 uppercase">
      {props.label}
      <select aria-label={props.label} className={input} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function Text(props: { label: string; value: string; onChange: (v: string) => void; type?: string; placeholder?: string }) {
  return (
    <label className="flex flex-col text-[11px] text-slate-500 uppercase">
      {props.label}
      <input
        aria-label={props.label}
        type={props.type ?? "text"}
        placeholder={props.placeholder}
        className={`${input} w-40 font-mono`}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}

const NO_FACETS: Facets = { kinds: [], protocols: [], sensors: [], rules: [], severities: [] };

export function EventFilters({
  value,
  onApply,
  facets = NO_FACETS,
}: {
  value: EventFilter;
  onApply: (f: EventFilter) => void;
  facets?: Facets;
}) {
  const [f, setF] = useState(value);
  const set = (k: keyof EventFilter) => (v: string) => setF((old) => ({ ...old, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(f);
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Event filters">
      <Select label="Level" value={f.level} options={LEVELS} onChange={set("level")} />
      <Select label="Protocol" value={f.protocol} options={facets.protocols} onChange={set("protocol")} />
      <Select label="Sensor" value={f.sensor} options={facets.sensors} onChange={set("sensor")} />
      <Select label="Kind" value={f.kind} options={facets.kinds} onChange={set("kind")} />
      <Text label="Source IP" value={f.src_ip} onChange={set("src_ip")} placeholder="203.0.113.7" />
      <Select label="Time" value={f.range} options={[...Object.keys(RANGES), "custom"]} onChange={set("range")} />
      {f.range === "custom" ? (
        <>
          <Text label="Since (UTC)" type="datetime-local" value={f.since} onChange={set("since")} />
          <Text label="Until (UTC)" type="datetime-local" value={f.until} onChange={set("until")} />
        </>
      ) : null}
      <label className="flex items-center gap-1 self-center text-xs text-slate-400">
        <input
          type="checkbox"
          checked={f.heartbeats === "1"}
          onChange={(e) => set("heartbeats")(e.target.checked ? "1" : "")}
        />
        Heartbeats
      </label>
      <button type="submit" className="rounded bg-cyan-600 px-3 py-1 text-sm font-semibold text-slate-950 hover:bg-cyan-500">
        Apply
      </button>
      <button
        type="button"
        onClick={() => {
          setF(EMPTY_FILTER);
          onApply(EMPTY_FILTER);
        }}
        className="rounded border border-slate-700 px-3 py-1 text-sm text-slate-300 hover:bg-slate-800"
      >
        Clear
      </button>
    </form>
  );
}
