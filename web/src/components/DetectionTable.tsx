// Detections with severity, rule and links to their evidence events.
import { Link } from "react-router";
import type { DetectionItem } from "../api/types";
import { fmtNumber, fmtTime } from "../lib/format";
import { Badge, td, th } from "./ui";

function Evidence({ ref_ }: { ref_: string }) {
  const [type, id] = ref_.includes(":") ? ref_.split(/:(.*)/s, 2) : ["event", ref_];
  if (type === "event")
    return (
      <Link to={`/events/${encodeURIComponent(id)}`} className="font-mono text-cyan-300 hover:underline" title={id}>
        {id.slice(0, 8)}
      </Link>
    );
  return <span className="font-mono text-slate-400">{ref_}</span>;
}

export function DetectionTable({ items, showSource = true }: { items: DetectionItem[]; showSource?: boolean }) {
  return (
    <table className="w-full text-sm">
      <thead>
        <tr>
          <th className={th}>Last seen</th>
          <th className={th}>Severity</th>
          <th className={th}>Rule</th>
          {showSource ? <th className={th}>Source</th> : null}
          <th className={th}>Count</th>
          <th className={th}>Summary</th>
          <th className={th}>Evidence</th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr key={d.id} data-testid="detection-row" className="border-t border-slate-800">
            <td className={`${td} font-mono text-xs whitespace-nowrap text-slate-400`}>{fmtTime(d.last_seen_at)}</td>
            <td className={td}>
              <Badge value={d.severity} />
            </td>
            <td className={`${td} font-mono text-xs text-amber-200`}>{d.rule}</td>
            {showSource ? (
              <td className={`${td} font-mono text-xs`}>
                {d.src_ip ? (
                  <Link to={`/attackers/${encodeURIComponent(d.src_ip)}`} className="hover:text-cyan-300">
                    {d.src_ip}
                  </Link>
                ) : (
                  "—"
                )}
              </td>
            ) : null}
            <td className={`${td} tabular-nums`}>{fmtNumber(d.count)}</td>
            <td className={`${td} text-xs text-slate-300`}>{d.summary}</td>
            <td className={`${td} text-xs`}>
              <span className="flex flex-wrap gap-1.5">
                {d.evidence.slice(0, 6).map((e) => (
                  <Evidence key={e} ref_={e} />
                ))}
                {d.evidence.length > 6 ? <span className="text-slate-500">+{d.evidence.length - 6}</span> : null}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
