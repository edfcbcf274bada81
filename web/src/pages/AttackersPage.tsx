// All known attackers, sortable.
import { Link, useSearchParams } from "react-router";
import type { AttackerItem, Page } from "../api/types";
import { Async } from "../components/States";
import { Badge, Card, td, th } from "../components/ui";
import { useApi } from "../hooks/useApi";
import { fmtAgo, fmtNumber } from "../lib/format";

const SORTS = { last_seen: "Last seen", event_count: "Events", max_score: "Max score" };

export default function AttackersPage() {
  const [params, setParams] = useSearchParams();
  const sort = params.get("sort") ?? "last_seen";
  const q = useApi<Page<AttackerItem>>(`/api/attackers?limit=500&sort=${sort}`, 20000);
  return (
    <div className="space-y-3">
      <h1 className="text-lg font-semibold text-slate-100">Attackers</h1>
      <Card
        title="Sources"
        right={
          <select aria-label="Sort" value={sort} onChange={(e) => setParams({ sort: e.target.value })} className="rounded border border-slate-700 bg-slate-950 px-2 py-0.5 text-xs">
            {Object.entries(SORTS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        }
      >
        <Async {...q} empty={(d) => d.items.length === 0} emptyText="No attackers yet.">
          {(d) => (
            <table className="w-full text-sm">
              <thead>
                <tr>
                  {["Source", "Location", "Protocols", "Events", "Detections", "Max score", "Level", "Last seen"].map((h) => (
                    <th key={h} className={th}>{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.ip} className="border-t border-slate-800">
                    <td className={`${td} font-mono`}>
                      <Link className="text-cyan-300 hover:underline" to={`/attackers/${encodeURIComponent(a.ip)}`}>{a.ip}</Link>
                    </td>
                    <td className={`${td} text-xs text-slate-400`}>{[a.city, a.country_code].filter(Boolean).join(", ") || "—"}</td>
                    <td className={`${td} text-xs`}>{a.protocols.join(", ")}</td>
                    <td className={`${td} tabular-nums`}>{fmtNumber(a.event_count)}</td>
                    <td className={`${td} tabular-nums`}>{fmtNumber(a.detection_count)}</td>
                    <td className={`${td} tabular-nums`}>{a.max_score != null ? Math.round(a.max_score) : "—"}</td>
                    <td className={td}><Badge value={a.last_level} /></td>
                    <td className={`${td} text-xs text-slate-400`}>{fmtAgo(a.last_seen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Async>
      </Card>
    </div>
  );
}
