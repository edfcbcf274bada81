// Events: filters, cursor pagination, a drawer with the raw event.
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { query } from "../api/client";
import type { EventItem, Facets, Page } from "../api/types";
import { EventFilters, filterFromParams, filterToParams, filterToQuery } from "../components/EventFilters";
import { EventTable } from "../components/EventTable";
import { Async } from "../components/States";
import { Card, Drawer, JsonView, Kv } from "../components/ui";
import { useApi } from "../hooks/useApi";
import { fmtTime } from "../lib/format";

const PAGE = 100;

function EventDrawer({ eventId, onClose }: { eventId: string; onClose: () => void }) {
  const q = useApi<EventItem>(`/api/events/${encodeURIComponent(eventId)}`);
  return (
    <Drawer title="Event" onClose={onClose}>
      <Async {...q}>
        {(e) => (
          <div className="space-y-3">
            <Kv
              rows={[
                ["kind", e.kind],
                ["time", fmtTime(e.occurred_at)],
                ["sensor", `${e.node} / ${e.component}`],
                ["source", e.src_ip ? <Link className="text-cyan-300" to={`/attackers/${encodeURIComponent(e.src_ip)}`}>{`${e.src_ip}:${e.src_port ?? ""}`}</Link> : null],
                ["destination", e.dst_ip ? `${e.dst_ip}:${e.dst_port ?? ""}` : null],
                ["session", e.session_id ? <Link className="text-cyan-300" to={`/sessions/${e.session_id}`}>{e.session_id}</Link> : null],
                ["level / score", e.level ? `${e.level} (${e.score ?? "?"})` : null],
                ["event id", e.event_id],
              ]}
            />
            <h3 className="text-xs font-semibold text-slate-400 uppercase">Raw event</h3>
            <JsonView value={e.payload} />
          </div>
        )}
      </Async>
    </Drawer>
  );
}

export default function EventsPage() {
  const [params, setParams] = useSearchParams();
  const { eventId } = useParams();
  const navigate = useNavigate();
  const filter = useMemo(() => filterFromParams(params), [params]);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const apiQuery = useMemo(() => filterToQuery(filter), [filter]);
  const path = `/api/events${query({ ...apiQuery, limit: PAGE, cursor })}`;
  const q = useApi<Page<EventItem>>(path);
  const facets = useApi<Facets>("/api/facets", 60000);
  const search = params.toString() ? `?${params.toString()}` : "";

  return (
    <div className="space-y-3">
      <h1 className="text-lg font-semibold text-slate-100">Events</h1>
      <Card>
        <EventFilters
          key={params.toString()}
          value={filter}
          facets={facets.data}
          onApply={(f) => {
            setCursors([null]);
            setParams(filterToParams(f));
          }}
        />
      </Card>
      <Card
        right={
          <div className="flex items-center gap-2 text-xs text-slate-400">
            <span>page {cursors.length}</span>
            <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))} className="rounded border border-slate-700 px-2 py-0.5 disabled:opacity-40">
              ← Newer
            </button>
            <button type="button" disabled={!q.data?.next_cursor} onClick={() => setCursors((c) => [...c, q.data?.next_cursor ?? null])} className="rounded border border-slate-700 px-2 py-0.5 disabled:opacity-40">
              Older →
            </button>
            <button type="button" onClick={q.reload} className="rounded border border-slate-700 px-2 py-0.5">
              Refresh
            </button>
          </div>
        }
        title="Stored events (newest first)"
      >
        <Async {...q} empty={(d) => d.items.length === 0} emptyText="No event matches these filters.">
          {(d) => <EventTable items={d.items} onOpen={(e) => navigate(`/events/${e.event_id}${search}`)} />}
        </Async>
      </Card>
      {eventId ? <EventDrawer eventId={eventId} onClose={() => navigate(`/events${search}`)} /> : null}
    </div>
  );
}
