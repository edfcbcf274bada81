// Score history of one attacker.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export default function ScoreHistory({ data }: { data: { at: string; score: number }[] }) {
  const rows = [...data].sort((a, b) => a.at.localeCompare(b.at)).map((d) => ({ ...d, t: d.at.slice(11, 19) }));
  return (
    <ResponsiveContainer width="100%" height={160}>
      <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid stroke="#1e293b" vertical={false} />
        <XAxis dataKey="t" stroke="#64748b" fontSize={11} minTickGap={24} />
        <YAxis domain={[0, 100]} stroke="#64748b" fontSize={11} />
        <Tooltip contentStyle={{ background: "#0f172a", border: "1px solid #334155", fontSize: 12 }} />
        <Line type="monotone" dataKey="score" stroke="#fbbf24" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
