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
  // Packet numbers, flow ids...: long and not links; cut to the cell (full text on hover).
  return (
    <span className="block max-w-full truncate font-mono text-slate-400" title={ref_}>
      {ref_}
    </span>
  );
}

// What multi-path verification concluded about a detection (docs/verify.md).
function Verification({ d }: { d: DetectionItem }) {
  if (d.verified === undefined || d.verified === null) {
    const outcome = d.verification_details?.["outcome"];
    return outcome === "inconclusive" ? (
      <span data-testid="verification" className="block text-[10px] text-slate-400" title="not enough independent paths agreed">
        verification inconclusive
      </span>
    ) : null;
  }
  const details = d.verification_details ?? {};
  const bad = details["compromised_paths"];
  const paths = Array.isArray(bad) ? bad.map(String) : [];
  const confidence = typeof details["confidence"] === "string" ? ` · ${details["confidence"]}` : "";
  return d.verified ? (
    <span data-testid="verification" className="mt-0.5 block text-[10px] font-semibold text-rose-300" title={paths.length ? `lying: ${paths.join(", ")}` : undefined}>
      verified: attack confirmed{confidence}
      {paths.length ? <span className="block font-normal break-all text-rose-200/80">{paths.join(", ")}</span> : null}
    </span>
  ) : (
    <span data-testid="verification" className="mt-0.5 block text-[10px] text-emerald-300">
      refuted by independent paths{confidence}
    </span>
  );
}

export function DetectionTable({ items, showSource = true }: { items: DetectionItem[]; showSource?: boolean }) {
  return (
    <div className="overflow-x-auto">
    <table className="w-full table-fixed text-sm">
      <colgroup>
        <col className="w-40" />
        <col className="w-20" />
        <col className="w-40" />
        {showSource ? <col className="w-32" /> : null}
        <col className="w-16" />
        <col />
        <col className="w-48" />
      </colgroup>
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
            <td className={`${td} font-mono text-xs break-all text-amber-200`}>
              {d.rule}
              <span className="block text-[10px] text-slate-400">{d.detector}</span>
              <Verification d={d} />
            </td>
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
            <td className={`${td} text-xs break-words text-slate-300`}>{d.summary}</td>
            <td className={`${td} text-xs`} data-testid="evidence">
              <span className="flex min-w-0 flex-wrap gap-1.5">
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
    </div>
  );
}
