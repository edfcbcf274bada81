// Attack map: where attackers come from, sized by activity.
import { Link } from "react-router";
import type { AttackerItem, Page } from "../api/types";
import { Async } from "../components/States";
import { Card } from "../components/ui";
import { WorldMap } from "../components/WorldMap";
import { useApi } from "../hooks/useApi";
import { fmtNumber } from "../lib/format";

export default function MapPage() {
  const q = useApi<Page<AttackerItem>>("/api/attackers?limit=1000&sort=event_count", 30000);
  return (
    <div className="space-y-3">
      <h1 className="text-lg font-semibold text-slate-100">Attack map</h1>
      <Async {...q}>
        {(d) => {
          const unplaced = d.items.filter((a) => a.latitude == null || a.longitude == null);
          return (
            <>
              <Card title={`${fmtNumber(d.items.length - unplaced.length)} located sources (circle area ∝ events; colour = last level)`}>
                <WorldMap attackers={d.items} />
              </Card>
              <Card title={`Without location (${unplaced.length}): private, loopback or no GeoIP data`}>
                {unplaced.length === 0 ? (
                  <p className="text-sm text-slate-500 italic">Every source has a location.</p>
                ) : (
                  <p className="flex flex-wrap gap-x-3 gap-y-1 font-mono text-xs">
                    {unplaced.slice(0, 200).map((a) => (
                      <Link key={a.ip} to={`/attackers/${encodeURIComponent(a.ip)}`} className="text-cyan-300 hover:underline">
                        {a.ip} <span className="text-slate-500">({fmtNumber(a.event_count)})</span>
                      </Link>
                    ))}
                  </p>
                )}
              </Card>
            </>
          );
        }}
      </Async>
    </div>
  );
}
