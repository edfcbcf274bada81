// The live event stream (SSE), batched: the list re-renders a few times a second at most.
import { memo, useCallback, useEffect, useRef, useState } from "react";
import type { MouseEvent } from "react";
import { useNavigate } from "react-router";
import type { StreamEvent } from "../api/types";
import { useEventStream } from "../hooks/useEventStream";
import { streamRow, fmtClock, fmtNumber } from "../lib/format";
import { FEED_KINDS } from "../lib/kinds";
import { Badge, Card } from "./ui";

const Row = memo(function Row({ ev }: { ev: StreamEvent }) {
  const r = streamRow(ev);
  return (
    <tr data-testid="live-row" className="border-t border-slate-800/70 hover:bg-slate-800/40">
      <td className="px-2 py-0.5 font-mono text-xs whitespace-nowrap text-slate-500">{fmtClock(r.at)}</td>
      <td className="px-2 py-0.5 text-xs whitespace-nowrap text-cyan-300">{r.kind}</td>
      <td className="px-2 py-0.5 font-mono text-xs whitespace-nowrap">
        {r.src ? (
          // A plain anchor (one delegated click handler on the table): cheaper than a router
          // Link per row when hundreds of rows a second come and go.
          <a href={`/attackers/${encodeURIComponent(r.src)}`} className="text-slate-200 hover:text-cyan-300">
            {r.src}
          </a>
        ) : (
          <span className="text-slate-600">—</span>
        )}
      </td>
      <td className="px-2 py-0.5 text-xs text-slate-400">{r.protocol ?? r.component}</td>
      <td className="px-2 py-0.5">{r.level || r.severity ? <Badge value={r.level ?? r.severity} /> : null}</td>
      <td className="max-w-0 truncate px-2 py-0.5 font-mono text-xs text-slate-300" title={r.summary}>
        {r.summary}
      </td>
    </tr>
  );
});

const STATUS_STYLE = {
  live: "text-emerald-400",
  connecting: "text-slate-400",
  reconnecting: "text-amber-400",
};

/** Milliseconds between two announcements of new live events (screen readers are not flooded). */
export const ANNOUNCE_EVERY_MS = 10000;

/** A polite live region summarising new events (count + the newest), at most every
 * ANNOUNCE_EVERY_MS, paused with the feed. The visible table itself is not a live region:
 * hundreds of rows per second would be unusable read aloud. */
function useAnnouncement(total: number, newest: StreamEvent | undefined, paused: boolean): string {
  const [text, setText] = useState("");
  const seen = useRef(total);
  const latest = useRef({ total, newest });
  latest.current = { total, newest };
  useEffect(() => {
    if (paused) return;
    const announce = () => {
      const { total: now, newest: ev } = latest.current;
      const fresh = now - seen.current;
      if (fresh <= 0) return;
      seen.current = now;
      const row = ev ? streamRow(ev) : null;
      const tail = row ? `; newest: ${row.kind}${row.src ? ` from ${row.src}` : ""}` : "";
      setText(`${fmtNumber(fresh)} new event${fresh === 1 ? "" : "s"}${tail}`);
    };
    const t = setInterval(announce, ANNOUNCE_EVERY_MS);
    return () => clearInterval(t);
  }, [paused]);
  return text;
}

export function LiveFeed({ cap = 100 }: { cap?: number }) {
  const [paused, setPaused] = useState(false);
  const navigate = useNavigate();
  // Client-side navigation for the rows' anchors (keeps modifier-clicks as new tabs).
  const onClick = useCallback(
    (e: MouseEvent) => {
      const a = (e.target as HTMLElement).closest("a");
      if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      navigate(a.getAttribute("href") ?? "/");
    },
    [navigate],
  );
  const { events, status, total, rate } = useEventStream({ kinds: FEED_KINDS, cap, paused });
  const announcement = useAnnouncement(total, events[0], paused);
  const right = (
    <div className="flex items-center gap-3 text-xs">
      <span role="status" data-testid="stream-status" className={STATUS_STYLE[status]}>
        ● {status}
      </span>
      <span className="text-slate-500">
        {fmtNumber(rate)}/s · <span data-testid="stream-total">{fmtNumber(total)}</span> received
      </span>
      <button
        type="button"
        onClick={() => setPaused((p) => !p)}
        className="rounded border border-slate-700 px-2 py-0.5 text-slate-300 hover:bg-slate-800"
      >
        {paused ? "Resume" : "Pause"}
      </button>
    </div>
  );
  return (
    <Card title="Live events" right={right}>
      <p aria-live="polite" aria-atomic="true" data-testid="live-announcement" className="sr-only">
        {announcement}
      </p>
      <div className="h-80 overflow-y-auto" data-testid="live-feed">
        {events.length === 0 ? (
          <p className="p-2 text-sm text-slate-500 italic">Waiting for events… new ones appear here as they happen.</p>
        ) : (
          <table className="w-full table-fixed">
            <colgroup>
              <col className="w-20" />
              <col className="w-36" />
              <col className="w-32" />
              <col className="w-20" />
              <col className="w-20" />
              <col />
            </colgroup>
            {/* Delegation only: the targets are the rows' anchors, which are focusable and
                fire this click on Enter too, so keyboard users get the same navigation. */}
            {/* eslint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-noninteractive-element-interactions */}
            <tbody onClick={onClick}>
              {events.map((ev) => (
                <Row key={ev.event_id} ev={ev} />
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Card>
  );
}
