// An offline world map: land from world-atlas (bundled), points projected with d3-geo.
import { useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { geoNaturalEarth1, geoPath } from "d3-geo";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countries from "world-atlas/countries-110m.json";
import type { AttackerItem } from "../api/types";
import { fmtNumber } from "../lib/format";

const W = 960;
const H = 500;
const topo = countries as unknown as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;

const LEVEL_FILL: Record<string, string> = { HIGH: "#fb7185", MEDIUM: "#fbbf24", LOW: "#34d399" };

/** Circle radius: area grows with activity (sqrt), clamped to stay readable. */
export function radiusFor(events: number, maxEvents: number): number {
  if (maxEvents <= 0) return 3;
  return 3 + 17 * Math.sqrt(Math.max(0, events) / maxEvents);
}

export function WorldMap({ attackers }: { attackers: AttackerItem[] }) {
  const navigate = useNavigate();
  const [hover, setHover] = useState<AttackerItem | null>(null);
  const { land, borders, project } = useMemo(() => {
    const projection = geoNaturalEarth1().fitSize([W, H], { type: "Sphere" });
    const path = geoPath(projection);
    return {
      land: path(feature(topo, topo.objects.countries)) ?? "",
      borders: path(mesh(topo, topo.objects.countries, (a, b) => a !== b)) ?? "",
      project: (lon: number, lat: number) => projection([lon, lat]),
    };
  }, []);
  const placed = attackers.filter((a) => a.latitude != null && a.longitude != null);
  const max = Math.max(0, ...placed.map((a) => a.event_count));
  return (
    <div className="relative">
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full" role="img" aria-label="Attack map">
        <path d={land} fill="#1e293b" />
        <path d={borders} fill="none" stroke="#0f172a" strokeWidth={0.6} />
        {[...placed]
          .sort((a, b) => b.event_count - a.event_count)
          .map((a) => {
            const p = project(a.longitude!, a.latitude!);
            if (!p) return null;
            return (
              <circle
                key={a.ip}
                data-testid="map-point"
                cx={p[0]}
                cy={p[1]}
                r={radiusFor(a.event_count, max)}
                fill={LEVEL_FILL[a.last_level ?? ""] ?? "#22d3ee"}
                fillOpacity={0.55}
                stroke="#f8fafc"
                strokeOpacity={0.5}
                className="cursor-pointer"
                onMouseEnter={() => setHover(a)}
                onMouseLeave={() => setHover(null)}
                onClick={() => navigate(`/attackers/${encodeURIComponent(a.ip)}`)}
              />
            );
          })}
      </svg>
      {hover ? (
        <div className="pointer-events-none absolute top-2 left-2 rounded border border-slate-700 bg-slate-900/95 px-3 py-2 text-xs">
          <p className="font-mono text-cyan-300">{hover.ip}</p>
          <p>{[hover.city, hover.country].filter(Boolean).join(", ") || "unknown place"}</p>
          <p>
            {fmtNumber(hover.event_count)} events · {hover.protocols.join(", ")}
          </p>
        </div>
      ) : null}
    </div>
  );
}
