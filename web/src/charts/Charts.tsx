// Recharts widgets for the overview (own chunk: loaded after the KPIs render).
import { memo } from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { Stats } from "../api/types";

const AXIS = { stroke: "#64748b", fontSize: 11 };
const TIP = {
  contentStyle: { background: "#0f172a", border: "1px solid #334155", fontSize: 12 },
  labelStyle: { color: "#cbd5e1" },
};

function bucketColour(bucket: number): string {
  if (bucket >= 7) return "#fb7185";
  if (bucket >= 4) return "#fbbf24";
  return "#34d399";
}

/** Re-render a chart only when its data changed (the overview refreshes every 15 s). */
const same = <T,>(a: { data: T }, b: { data: T }) => JSON.stringify(a.data) === JSON.stringify(b.data);

export const ScoreHistogram = memo(function ScoreHistogram({ data }: { data: Stats["score_histogram"] }) {
  const rows = Array.from({ length: 10 }, (_, b) => ({
    bucket: b,
    label: `${b * 10}–${b * 10 + 9}`,
    count: data.find((d) => d.bucket === b)?.count ?? 0,
  }));
  return (
    <ResponsiveContainer width="100%" height={200}>
      <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid stroke="#1e293b" vertical={false} />
        <XAxis dataKey="label" tick={AXIS} interval={1} />
        <YAxis tick={AXIS} allowDecimals={false} />
        <Tooltip {...TIP} cursor={{ fill: "#1e293b" }} />
        <Bar dataKey="count" name="scored" isAnimationActive={false}>
          {rows.map((r) => (
            <Cell key={r.bucket} fill={bucketColour(r.bucket)} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}, same);

export const Timeline = memo(function Timeline({ data }: { data: Stats["timeline"] }) {
  const rows = data.map((d) => ({ ...d, hour: new Date(d.ts).toISOString().slice(11, 16) }));
  return (
    <ResponsiveContainer width="100%" height={200}>
      <AreaChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -8 }}>
        <CartesianGrid stroke="#1e293b" vertical={false} />
        <XAxis dataKey="hour" tick={AXIS} minTickGap={24} />
        <YAxis tick={AXIS} allowDecimals={false} />
        <Tooltip {...TIP} />
        <Area type="monotone" dataKey="events" stroke="#22d3ee" fill="#22d3ee33" isAnimationActive={false} />
        <Area type="monotone" dataKey="detections" stroke="#fb7185" fill="#fb718544" isAnimationActive={false} />
      </AreaChart>
    </ResponsiveContainer>
  );
}, same);

export default { ScoreHistogram, Timeline };
