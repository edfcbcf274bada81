// Small presentational pieces: cards, badges, JSON view, drawer.
import { useEffect, useRef } from "react";
import type { ReactNode } from "react";

export function Card(props: { title?: ReactNode; right?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`rounded-lg border border-slate-800 bg-slate-900/70 ${props.className ?? ""}`}>
      {props.title ? (
        <header className="flex items-center justify-between border-b border-slate-800 px-3 py-2">
          <h2 className="text-xs font-semibold tracking-wider text-slate-400 uppercase">{props.title}</h2>
          {props.right}
        </header>
      ) : null}
      <div className="p-3">{props.children}</div>
    </section>
  );
}

const LEVEL_STYLE: Record<string, string> = {
  LOW: "bg-emerald-900/60 text-emerald-300 border-emerald-700",
  MEDIUM: "bg-amber-900/60 text-amber-300 border-amber-700",
  HIGH: "bg-rose-900/60 text-rose-300 border-rose-700",
  low: "bg-sky-900/60 text-sky-300 border-sky-700",
  medium: "bg-amber-900/60 text-amber-300 border-amber-700",
  high: "bg-rose-900/60 text-rose-300 border-rose-700",
  critical: "bg-fuchsia-900/70 text-fuchsia-200 border-fuchsia-600",
};

/** A threat level (LOW/MEDIUM/HIGH) or detection severity (low..critical) badge. */
export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="text-slate-600">—</span>;
  const style = LEVEL_STYLE[value] ?? "bg-slate-800 text-slate-300 border-slate-600";
  return <span className={`inline-block rounded border px-1.5 text-[11px] leading-[14px] font-semibold ${style}`}>{value}</span>;
}

export function Dot({ up, degraded = false }: { up: boolean; degraded?: boolean }) {
  const tone = !up
    ? "bg-rose-500"
    : degraded
      ? "bg-amber-400 shadow-[0_0_6px] shadow-amber-400"
      : "bg-emerald-400 shadow-[0_0_6px] shadow-emerald-400";
  return (
    <span
      role="img"
      aria-label={!up ? "down" : degraded ? "degraded" : "up"}
      className={`inline-block h-2.5 w-2.5 rounded-full ${tone}`}
    />
  );
}

export function JsonView({ value }: { value: unknown }) {
  return (
    <pre className="max-h-[60vh] overflow-auto rounded bg-slate-950 p-3 font-mono text-xs leading-relaxed text-emerald-200">
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** A modal side panel: focus moves into it, Tab stays inside, Escape (or the backdrop, or ✕)
 * closes it, and focus goes back to what had it before (the row that opened it). */
export function Drawer(props: { title: ReactNode; onClose: () => void; children: ReactNode; label?: string }) {
  const { onClose } = props;
  const panel = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close.current();
        return;
      }
      if (e.key !== "Tab" || !panel.current) return;
      const items = Array.from(panel.current.querySelectorAll<HTMLElement>(FOCUSABLE));
      if (items.length === 0) {
        e.preventDefault();
        panel.current.focus();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      const inside = active instanceof Node && panel.current.contains(active);
      if (e.shiftKey && (active === first || active === panel.current || !inside)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !inside)) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      // The opener may have been re-rendered: find it again by its id when it has one.
      const target = before?.isConnected ? before : before?.id ? document.getElementById(before.id) : null;
      target?.focus();
    };
  }, []);
  return (
    <div className="fixed inset-0 z-40 flex justify-end">
      <button type="button" tabIndex={-1} aria-label="Close the detail" className="absolute inset-0 h-full w-full cursor-default bg-black/50" onClick={onClose} />
      <div
        ref={panel}
        role="dialog"
        aria-modal="true"
        aria-label={props.label ?? "Event detail"}
        tabIndex={-1}
        className="relative h-full w-[min(640px,100vw)] overflow-y-auto border-l border-slate-700 bg-slate-900 p-4 shadow-2xl outline-none"
      >
        <div className="mb-3 flex items-center justify-between">
          <h2 className="font-semibold text-slate-100">{props.title}</h2>
          <button type="button" onClick={onClose} className="rounded px-2 text-slate-400 hover:bg-slate-800" aria-label="Close">
            ✕
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}

export function Kv({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">{k}</dt>
          <dd className="break-all text-slate-200">{v ?? "—"}</dd>
        </div>
      ))}
    </dl>
  );
}

export const th = "px-2 py-1.5 text-left text-[11px] font-semibold tracking-wider text-slate-500 uppercase";
export const td = "px-2 py-1 align-top";
