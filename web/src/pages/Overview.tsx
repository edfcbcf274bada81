// The page an analyst keeps open: KPIs, live feed, charts, top attackers, component status.
import { useMemo } from "react";
import { Link } from "react-router";
import { ScoreHistogram, Timeline } from "../charts/Charts";
import type { AttackerItem, ComponentStatus, Page, Stats } from "../api/types";
import { LiveFeed } from "../components/LiveFeed";
import { Async, Loading } from "../components/States";
import { Badge, Card, Dot, td, th } from "../components/ui";
import { useApi } from "../hooks/useApi";
import type { ApiState } from "../hooks/useApi";
import { PROTOCOLS } from "../lib/kinds";
import { fmtAgo, fmtNumber } from "../lib/format";


function Kpi(props: { label: string; value: number | undefined; tone?: string; testId?: string; note?: string }) {
  const { label, value, tone = "text-slate-100", testId, note } = props;
  return (
    <div className="rounded-lg border border-slate-800 bg-slate-900/70 px-4 py-3">
      <p className="text-[11px] font-semibold tracking-wider text-slate-400 uppercase">{label}</p>
      <p data-testid={testId} className={`mt-1 text-2xl font-bold tabular-nums ${tone}`}>
        {value === undefined ? "…" : fmtNumber(value)}
      </p>
      {note ? (
        <p data-testid={testId ? `${testId}-note` : undefined} className="text-xs text-slate-400">
          {note}
        </p>
      ) : null}
    </div>
  );
}

/** Protocol counts; keys that are only component names (heartbeats of api, storage...) are
 * left out, since their "protocol" column is the component. */
function ProtocolBars({ byProtocol, components }: { byProtocol: Record<string, number>; components: Set<string> }) {
  const rows = Object.entries(byProtocol)
    .filter(([k]) => PROTOCOLS.includes(k) || !components.has(k))
    .sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map(([, n]) => n));
  if (rows.length === 0) return <p className="text-sm text-slate-500 italic">No events in the window.</p>;
  return (
    <ul className="space-y-1.5">
      {rows.map(([proto, n]) => (
        <li key={proto} className="grid grid-cols-[5rem_1fr_4rem] items-center gap-2 text-xs">
          <span className="text-slate-300">{proto}</span>
          <span className="h-2 rounded bg-slate-800">
            <span className="block h-2 rounded bg-cyan-500" style={{ width: `${(100 * n) / max}%` }} />
          </span>
          <span className="text-right tabular-nums text-slate-400">{fmtNumber(n)}</span>
        </li>
      ))}
    </ul>
  );
}

function TopAttackers() {
  const q = useApi<Page<AttackerItem>>("/api/attackers?limit=8&sort=event_count", 15000);
  return (
    <Card title="Top attackers">
      <Async {...q} empty={(d) => d.items.length === 0} emptyText="No attackers yet.">
        {(d) => (
          <table className="w-full text-sm">
            <thead>
              <tr>
                <th className={th}>Source</th>
                <th className={th}>Events</th>
                <th className={th}>Level</th>
                <th className={th}>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((a) => (
                <tr key={a.ip} className="border-t border-slate-800">
                  <td className={`${td} font-mono`}>
                    <Link to={`/attackers/${encodeURIComponent(a.ip)}`} className="text-cyan-300 hover:underline">
                      {a.ip}
                    </Link>
                    {a.country_code ? <span className="ml-1 text-xs text-slate-500">{a.country_code}</span> : null}
                  </td>
                  <td className={`${td} tabular-nums`}>{fmtNumber(a.event_count)}</td>
                  <td className={td}>
                    <Badge value={a.last_level} />
                  </td>
                  <td className={`${td} text-slate-400`}>{fmtAgo(a.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </Card>
  );
}

function StatusPanel({ q }: { q: ApiState<{ items: ComponentStatus[] }> }) {
  return (
    <Card title="Honeypots & monitor">
      <Async {...q} empty={(d) => d.items.length === 0} emptyText="No component has reported yet.">
        {(d) => (
          <ul className="space-y-1.5" data-testid="status-list">
            {d.items.map((c) => (
              <li key={`${c.node}/${c.component}`} className="flex items-center gap-2 text-sm" title={c.detail}>
                <Dot up={c.up} degraded={c.state === "degraded"} />
                <span className="font-medium text-slate-200">{c.component}</span>
                {c.state === "degraded" ? (
                  <span className="truncate text-xs text-amber-300" data-testid="degraded-detail">
                    failing{c.detail ? `: ${c.detail}` : ""}
                  </span>
                ) : (
                  <span className="truncate text-xs text-slate-500">{c.listen ?? c.node}</span>
                )}
                <span className="ml-auto text-xs whitespace-nowrap text-slate-400">
                  {fmtNumber(c.connections)} conn · {fmtNumber(c.events)} ev · {fmtAgo(c.last_seen)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Async>
    </Card>
  );
}

export function Overview() {
  const stats = useApi<Stats>("/api/stats?hours=24", 15000);
  const status = useApi<{ items: ComponentStatus[] }>("/api/honeypots/status", 10000);
  const components = useMemo(() => new Set(status.data?.items.map((c) => c.component)), [status.data]);
  const s = stats.data;
  return (
    <div className="space-y-4">
      <div className="flex items-baseline justify-between">
        <h1 className="text-lg font-semibold text-slate-100">Overview</h1>
        <span className="text-xs text-slate-500">last 24 h · {s ? `${fmtNumber(s.events_total)} events stored` : ""}</span>
      </div>
      {stats.error && !s ? <Async {...stats}>{() => null}</Async> : null}
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-5">
        <Kpi label="Events" value={s?.events_window} testId="kpi-events" />
        <Kpi label="Attackers" value={s?.attackers_window} tone="text-cyan-300" testId="kpi-attackers" />
        <Kpi label="Detections" value={s?.detections_window} tone="text-amber-300" />
        <Kpi
          label="Blocked now"
          value={s?.blocked_active}
          tone="text-rose-300"
          testId="kpi-blocked"
          note={s?.blocked_unapplied ? `+${fmtNumber(s.blocked_unapplied)} recorded, not enforced (dry run)` : undefined}
        />
        <Kpi label="High level" value={s ? (s.levels.HIGH ?? 0) : undefined} tone="text-rose-400" />
      </div>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-3">
        <div className="xl:col-span-2">
          <LiveFeed />
        </div>
        <div className="space-y-4">
          <StatusPanel q={status} />
          <Card title="Events by protocol">
            {s ? <ProtocolBars byProtocol={s.by_protocol} components={components} /> : <Loading />}
          </Card>
        </div>
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <Card title="Events & detections per hour" className="lg:col-span-2">
          {s ? <Timeline data={s.timeline} /> : <Loading />}
        </Card>
        <Card title="Threat score distribution">
          {s ? <ScoreHistogram data={s.score_histogram} /> : <Loading />}
        </Card>
      </div>
      <TopAttackers />
    </div>
  );
}
