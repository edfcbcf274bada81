// Everything about one source address.
import { Suspense, lazy } from "react";
import { Link, useParams } from "react-router";
import type { AttackerDetail } from "../api/types";
import { BlockControl } from "../components/BlockControl";
import { DetectionTable } from "../components/DetectionTable";
import { EventTable } from "../components/EventTable";
import { Async, Empty, Loading } from "../components/States";
import { Badge, Card, Kv, td, th } from "../components/ui";
import { useApi } from "../hooks/useApi";
import { fmtBytes, fmtNumber, fmtTime } from "../lib/format";

const ScoreHistory = lazy(() => import("../charts/ScoreHistory"));

function Table<T>(props: { rows: T[]; cols: [string, (r: T) => React.ReactNode][]; empty: string; testId?: string }) {
  if (props.rows.length === 0) return <Empty>{props.empty}</Empty>;
  return (
    <div className="max-h-72 overflow-y-auto">
      <table className="w-full text-sm" data-testid={props.testId}>
        <thead>
          <tr>
            {props.cols.map(([h]) => (
              <th key={h} className={th}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i} className="border-t border-slate-800">
              {props.cols.map(([h, f]) => (
                <td key={h} className={`${td} font-mono text-xs break-all`}>
                  {f(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Detail({ d, reload }: { d: AttackerDetail; reload: () => void }) {
  const a = d.attacker;
  const geo = [a.city, a.country].filter(Boolean).join(", ");
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="font-mono text-xl font-semibold text-slate-100" data-testid="attacker-ip">{a.ip}</h1>
        <Badge value={a.last_level} />
        {d.block?.active ? <span className="rounded bg-rose-900 px-2 py-0.5 text-xs text-rose-200">BLOCKED</span> : null}
        <div className="ml-auto">
          <BlockControl ip={a.ip} block={d.block} onChange={reload} />
        </div>
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <Card title="Source">
          <Kv
            rows={[
              ["location", geo || "unknown (private or no GeoIP data)"],
              ["coordinates", a.latitude != null && a.longitude != null ? `${a.latitude.toFixed(2)}, ${a.longitude.toFixed(2)}` : null],
              ["ASN", a.asn],
              ["first seen", fmtTime(a.first_seen)],
              ["last seen", fmtTime(a.last_seen)],
              ["events", fmtNumber(a.event_count)],
              ["detections", fmtNumber(a.detection_count)],
              ["max score", a.max_score != null ? Math.round(a.max_score) : null],
              ["protocols", a.protocols.join(", ")],
            ]}
          />
        </Card>
        <Card title="Score history" className="lg:col-span-2">
          {d.scores.length === 0 ? <Empty>Not scored yet.</Empty> : <Suspense fallback={<Loading />}><ScoreHistory data={d.scores} /></Suspense>}
        </Card>
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Card title={`Credentials tried (${d.credentials.length})`}>
          <Table testId="credentials" rows={d.credentials} empty="No credentials." cols={[
            ["time", (c) => fmtTime(c.at)], ["proto", (c) => c.protocol], ["user", (c) => c.username],
            ["password", (c) => c.password ?? "—"], ["result", (c) => (c.accepted ? <span className="text-emerald-400">accepted</span> : <span className="text-slate-500">refused</span>)],
          ]} />
        </Card>
        <Card title={`Commands (${d.commands.length})`}>
          <Table testId="commands" rows={d.commands} empty="No commands." cols={[
            ["time", (c) => fmtTime(c.at)], ["command", (c) => <span className="text-emerald-200">$ {c.command}</span>],
          ]} />
        </Card>
        <Card title={`Sessions (${d.sessions.length})`}>
          <Table testId="sessions" rows={d.sessions} empty="No sessions." cols={[
            ["started", (s) => fmtTime(s.started_at)], ["proto", (s) => s.protocol], ["user", (s) => s.username ?? "—"],
            ["cmds", (s) => s.commands],
            ["session", (s) => <Link className="text-cyan-300 hover:underline" to={`/sessions/${s.session_id}`}>{s.has_recording ? "▶ replay" : "open"}</Link>],
          ]} />
        </Card>
        <Card title="Fingerprints & uploads">
          <Table rows={d.fingerprints} empty="No fingerprints." cols={[
            ["method", (f) => f.method], ["value", (f) => f.value], ["seen", (f) => f.count],
          ]} />
          <div className="mt-3" />
          <Table rows={d.uploads} empty="No uploads." cols={[
            ["time", (u) => fmtTime(u.at)], ["file", (u) => u.filename], ["size", (u) => (u.size === null ? "—" : fmtBytes(u.size))], ["sha256", (u) => u.sha256?.slice(0, 16) ?? "—"],
          ]} />
        </Card>
      </div>
      <Card title={`Detections (${d.detections.length})`}>
        {d.detections.length === 0 ? <Empty>No detections.</Empty> : <DetectionTable items={d.detections} showSource={false} />}
      </Card>
      <Card title={`Timeline (${d.timeline.length} latest events, all protocols)`}>
        {d.timeline.length === 0 ? <Empty>No events.</Empty> : <div className="max-h-[32rem] overflow-y-auto"><EventTable items={d.timeline} /></div>}
      </Card>
    </div>
  );
}

export default function AttackerPage() {
  const { ip = "" } = useParams();
  const q = useApi<AttackerDetail>(`/api/attackers/${encodeURIComponent(ip)}`, 20000);
  return <Async {...q}>{(d) => <Detail d={d} reload={q.reload} />}</Async>;
}
