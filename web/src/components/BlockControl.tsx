// Admin-only block / unblock of one address (POST/DELETE /api/active-defense/block/{ip}).
import { useState } from "react";
import { api } from "../api/client";
import type { BlockItem } from "../api/types";
import { AdminOnly } from "../auth/AuthContext";
import { fmtTime } from "../lib/format";

const DURATIONS = ["15m", "1h", "6h", "24h", "7d"];

function Control({ ip, block, onChange }: { ip: string; block: BlockItem | null; onChange: () => void }) {
  const [duration, setDuration] = useState("1h");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const path = `/api/active-defense/block/${encodeURIComponent(ip)}`;
  const run = async (init: RequestInit) => {
    setBusy(true);
    setError(undefined);
    try {
      await api<BlockItem>(path, init);
      onChange();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const active = block?.active === true;
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="block-control">
      {active ? (
        <>
          <span className="text-sm text-rose-300">
            Blocked until {fmtTime(block.expires_at)} {block.applied ? "" : "(dry-run)"}
          </span>
          <button type="button" disabled={busy} onClick={() => run({ method: "DELETE" })} className="rounded bg-slate-700 px-3 py-1 text-sm hover:bg-slate-600 disabled:opacity-50">
            Unblock
          </button>
        </>
      ) : (
        <>
          <select aria-label="Block duration" value={duration} onChange={(e) => setDuration(e.target.value)} className="rounded border border-slate-700 bg-slate-950 px-2 py-1 text-sm">
            {DURATIONS.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
          <button
            type="button"
            disabled={busy}
            onClick={() => run({ method: "POST", body: JSON.stringify({ duration, reason: "blocked from the dashboard" }) })}
            className="rounded bg-rose-700 px-3 py-1 text-sm font-semibold hover:bg-rose-600 disabled:opacity-50"
          >
            Block {ip}
          </button>
        </>
      )}
      {error ? <span role="alert" className="text-sm text-rose-400">{error}</span> : null}
    </div>
  );
}

export function BlockControl(props: { ip: string; block: BlockItem | null; onChange: () => void }) {
  return (
    <AdminOnly>
      <Control {...props} />
    </AdminOnly>
  );
}
