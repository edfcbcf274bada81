// Detections list with filters and cursor paging.
import { useState } from "react";
import { useSearchParams } from "react-router";
import { query } from "../api/client";
import type { DetectionItem, Facets, Page } from "../api/types";
import { DetectionTable } from "../components/DetectionTable";
import { Async } from "../components/States";
import { Card } from "../components/ui";
import { VerifyPaths } from "../components/VerifyPaths";
import { useApi } from "../hooks/useApi";

const input = "rounded border border-slate-700 bg-slate-950 px-2 py-1 text-sm";

export default function DetectionsPage() {
  const [params, setParams] = useSearchParams();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const severity = params.get("severity") ?? "";
  const rule = params.get("rule") ?? "";
  const src = params.get("src_ip") ?? "";
  const q = useApi<Page<DetectionItem>>(
    `/api/detections${query({ severity, rule, src_ip: src, limit: 100, cursor: cursors[cursors.length - 1] })}`,
    15000,
  );
  const facets = useApi<Facets>("/api/facets", 60000);
  const withCurrent = (values: string[] | undefined, current: string) =>
    current && !(values ?? []).includes(current) ? [current, ...(values ?? [])] : (values ?? []);
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v);
    else p.delete(k);
    setCursors([null]);
    setParams(p);
  };
  return (
    <div className="space-y-3">
      <h1 className="text-lg font-semibold text-slate-100">Detections</h1>
      <Card>
        <div className="flex flex-wrap gap-2">
          <select aria-label="Severity" className={input} value={severity} onChange={(e) => set("severity", e.target.value)}>
            <option value="">any severity</option>
            {withCurrent(facets.data?.severities, severity).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <select aria-label="Rule" className={`${input} font-mono`} value={rule} onChange={(e) => set("rule", e.target.value)}>
            <option value="">any rule</option>
            {withCurrent(facets.data?.rules, rule).map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <input aria-label="Source IP" placeholder="source IP" className={`${input} font-mono`} defaultValue={src} onBlur={(e) => set("src_ip", e.target.value.trim())} onKeyDown={(e) => e.key === "Enter" && set("src_ip", e.currentTarget.value.trim())} />
        </div>
      </Card>
      <Card
        title="Detections (newest first)"
        right={
          <div className="flex gap-2 text-xs">
            <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))} className="rounded border border-slate-700 px-2 py-0.5 disabled:opacity-40">← Newer</button>
            <button type="button" disabled={!q.data?.next_cursor} onClick={() => setCursors((c) => [...c, q.data?.next_cursor ?? null])} className="rounded border border-slate-700 px-2 py-0.5 disabled:opacity-40">Older →</button>
          </div>
        }
      >
        <Async {...q} empty={(d) => d.items.length === 0} emptyText="No detections match.">
          {(d) => <DetectionTable items={d.items} />}
        </Async>
      </Card>
      <VerifyPaths />
    </div>
  );
}
