// One sensor session: metadata, its events and, for SSH, the terminal replay.
import { Suspense, lazy } from "react";
import { Link, useParams } from "react-router";
import type { SessionDetail } from "../api/types";
import { EventTable } from "../components/EventTable";
import { Async, Empty, Loading } from "../components/States";
import { Card, Kv } from "../components/ui";
import { useApi } from "../hooks/useApi";
import { fmtTime } from "../lib/format";

const Replay = lazy(() => import("../components/Replay"));

export default function SessionPage() {
  const { sessionId = "" } = useParams();
  const id = encodeURIComponent(sessionId);
  const q = useApi<SessionDetail>(`/api/sessions/${id}`);
  return (
    <Async {...q}>
      {({ session: s, events }) => (
        <div className="space-y-4">
          <h1 className="text-lg font-semibold text-slate-100">
            {s.protocol.toUpperCase()} session from{" "}
            <Link className="font-mono text-cyan-300 hover:underline" to={`/attackers/${encodeURIComponent(s.src_ip)}`}>
              {s.src_ip}
            </Link>
          </h1>
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-3">
            <Card title="Session">
              <Kv
                rows={[
                  ["id", s.session_id],
                  ["sensor", `${s.node} / ${s.component}`],
                  ["started", fmtTime(s.started_at)],
                  ["ended", s.ended_at ? `${fmtTime(s.ended_at)} (${s.end_reason ?? ""})` : "still open"],
                  ["user", s.username],
                  ["authenticated", s.authenticated ? "yes" : "no"],
                  ["auth attempts", s.auth_attempts],
                  ["commands", s.commands],
                  ["client", s.client_version],
                ]}
              />
            </Card>
            <Card title="Replay" className="xl:col-span-2">
              {s.has_recording ? (
                <Suspense fallback={<Loading label="Loading player…" />}>
                  <Replay url={`/api/sessions/${id}/recording`} />
                </Suspense>
              ) : (
                <Empty>No recording for this session{s.ended_at ? "" : " yet (it is written when the session ends)"}.</Empty>
              )}
            </Card>
          </div>
          <Card title={`Events (${events.length})`}>
            {events.length === 0 ? <Empty>No events.</Empty> : <EventTable items={events} />}
          </Card>
        </div>
      )}
    </Async>
  );
}
