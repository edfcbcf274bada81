// A table of stored events (EventItem rows). The kind cell is a button that opens the row's
// detail (keyboard: Tab to it, Enter or Space); a click anywhere on the row does the same.
import { Link } from "react-router";
import type { EventItem } from "../api/types";
import { fmtTime, itemSummary } from "../lib/format";
import { Badge, td, th } from "./ui";

export function EventTable({ items, onOpen }: { items: EventItem[]; onOpen?: (e: EventItem) => void }) {
  return (
    <table className="w-full table-fixed text-sm">
      <colgroup>
        <col className="w-40" />
        <col className="w-36" />
        <col className="w-32" />
        <col className="w-20" />
        <col className="w-20" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th className={th}>Time (UTC)</th>
          <th className={th}>Kind</th>
          <th className={th}>Source</th>
          <th className={th}>Proto</th>
          <th className={th}>Level</th>
          <th className={th}>Summary</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr
            key={e.id}
            data-testid="event-row"
            onClick={() => onOpen?.(e)}
            className={`border-t border-slate-800 ${onOpen ? "cursor-pointer hover:bg-slate-800/50" : ""}`}
          >
            <td className={`${td} font-mono text-xs whitespace-nowrap text-slate-400`}>{fmtTime(e.occurred_at)}</td>
            <td className={`${td} text-xs text-cyan-300`}>
              {onOpen ? (
                <button
                  type="button"
                  id={`open-${e.event_id}`}
                  data-testid="event-open"
                  aria-label={`Open ${e.kind} event of ${fmtTime(e.occurred_at)}`}
                  onClick={(ev) => {
                    ev.stopPropagation();
                    onOpen(e);
                  }}
                  className="text-left hover:underline focus-visible:outline-2 focus-visible:outline-cyan-400"
                >
                  {e.kind}
                </button>
              ) : (
                e.kind
              )}
            </td>
            <td className={`${td} font-mono text-xs`}>
              {e.src_ip ? (
                <Link
                  to={`/attackers/${encodeURIComponent(e.src_ip)}`}
                  onClick={(ev) => ev.stopPropagation()}
                  className="hover:text-cyan-300"
                >
                  {e.src_ip}
                </Link>
              ) : (
                "—"
              )}
            </td>
            <td className={`${td} text-xs text-slate-400`}>{e.protocol ?? e.component}</td>
            <td className={td}>
              <Badge value={e.level} />
            </td>
            <td className={`${td} truncate font-mono text-xs text-slate-300`} title={itemSummary(e)}>
              {itemSummary(e)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
