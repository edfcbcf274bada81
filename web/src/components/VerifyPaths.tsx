// The verification paths' health (GET /api/v1/verify/paths): state, last latency, last error.
import { ApiError } from "../api/client";
import type { PathStatus } from "../api/types";
import { fmtAgo } from "../lib/format";
import { useApi } from "../hooks/useApi";
import { Async } from "./States";
import { Card, Dot } from "./ui";

export function VerifyPaths() {
  const q = useApi<{ items: PathStatus[] }>("/api/v1/verify/paths", 30000);
  // 503: no [[verify.paths]] configured; nothing to show but how to turn it on
  if (q.error instanceof ApiError && q.error.status === 503)
    return (
      <Card title="Verification paths">
        <p className="text-sm text-slate-400">No verification paths are configured ([[verify.paths]], docs/verify.md).</p>
      </Card>
    );
  return (
    <Card title="Verification paths">
      <Async {...q} empty={(d) => d.items.length === 0} emptyText="No verification paths are configured.">
        {(d) => (
          <ul className="space-y-1.5" data-testid="verify-paths">
            {d.items.map((p) => (
              <li key={p.name} className="flex items-center gap-2 text-sm" title={p.last_error ?? undefined}>
                <Dot up={p.state !== "failing"} degraded={p.state === "unknown"} />
                <span className="font-mono text-slate-200">{p.name}</span>
                <span className="text-xs text-slate-500">{p.kind}</span>
                {p.state === "failing" && p.last_error ? (
                  <span className="truncate text-xs text-rose-300" data-testid="path-error">{p.last_error}</span>
                ) : null}
                <span className="ml-auto text-xs whitespace-nowrap text-slate-400">
                  {p.last_latency_ms === null ? "—" : `${Math.round(p.last_latency_ms)} ms`} · {p.answered} ok · {p.failed} failed
                  {p.last_checked_at ? ` · ${fmtAgo(p.last_checked_at)}` : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Async>
    </Card>
  );
}
