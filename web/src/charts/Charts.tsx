// The overview's two charts as plain SVG: they render in a few milliseconds, so the page stays
// interactive while data refreshes (Recharts, used on the attacker page, costs ~150 ms per
// first render on this machine). Hover shows exact values (<title>).
import { memo, useLayoutEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { Stats } from "../api/types";
import { fmtNumber } from "../lib/format";

const H = 200;
const PAD = { left: 44, right: 20, top: 8, bottom: 22 };
const AXIS = "#64748b";
const GRID = "#1e293b";

function bucketColour(bucket: number): string {
  if (bucket >= 7) return "#fb7185";
  if (bucket >= 4) return "#fbbf24";
  return "#34d399";
}

/** 4 "nice" whole-number gridline values up to at least `max` (counts). */
export function ticks(max: number): number[] {
  const raw = Math.max(1, max) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw);
  return [1, 2, 3, 4].map((i) => Math.round(i * step));
}

/** An SVG drawn at the container's real width (text stays at its real size). */
function Frame({ label, children }: { label: string; children: (width: number) => ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const measure = () => el.clientWidth > 0 && setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <div ref={ref} className="w-full">
      <svg width={width} height={H} viewBox={`0 0 ${width} ${H}`} role="img" aria-label={label}>
        {children(width)}
      </svg>
    </div>
  );
}

function Grid({ top, W }: { top: number; W: number }) {
  const y = (v: number) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / top;
  return (
    <g fontSize={11} fill={AXIS}>
      {[0, ...ticks(top)].map((v) => (
        <g key={v}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke={GRID} />
          <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
            {fmtNumber(v)}
          </text>
        </g>
      ))}
    </g>
  );
}

const same = <T,>(a: { data: T }, b: { data: T }) => JSON.stringify(a.data) === JSON.stringify(b.data);

export const ScoreHistogram = memo(function ScoreHistogram({ data }: { data: Stats["score_histogram"] }) {
  const counts = Array.from({ length: 10 }, (_, b) => data.find((d) => d.bucket === b)?.count ?? 0);
  const top = ticks(Math.max(...counts))[3];
  const plotH = H - PAD.top - PAD.bottom;
  return (
    <Frame label="Threat score distribution">
      {(W) => {
        const bw = (W - PAD.left - PAD.right) / 10;
        return (
          <>
      <Grid top={top} W={W} />
      {counts.map((n, b) => {
        const h = (plotH * n) / top;
        return (
          <g key={b}>
            <rect data-testid="score-bar" x={PAD.left + b * bw + 3} y={H - PAD.bottom - h} width={bw - 6} height={h} fill={bucketColour(b)}>
              <title>{`score ${b * 10}–${b * 10 + 9}: ${fmtNumber(n)}`}</title>
            </rect>
            <text x={PAD.left + b * bw + bw / 2} y={H - 6} fontSize={11} fill={AXIS} textAnchor="middle">
              {b * 10}
            </text>
          </g>
        );
      })}
          </>
        );
      }}
    </Frame>
  );
}, same);

function path(W: number, values: number[], top: number, close: boolean): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (values.length < 2 ? plotW / 2 : (plotW * i) / (values.length - 1));
  const y = (v: number) => H - PAD.bottom - (plotH * v) / top;
  const line = values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("");
  return close && values.length ? `${line}L${x(values.length - 1)},${y(0)}L${x(0)},${y(0)}Z` : line;
}

export const Timeline = memo(function Timeline({ data }: { data: Stats["timeline"] }) {
  const events = data.map((d) => d.events);
  const detections = data.map((d) => d.detections);
  const top = ticks(Math.max(0, ...events, ...detections))[3];
  return (
    <Frame label="Events and detections per hour">
      {(W) => {
        const plotW = W - PAD.left - PAD.right;
        const every = Math.max(1, Math.ceil(data.length / Math.max(2, Math.floor(W / 70))));
        return (
          <>
      <Grid top={top} W={W} />
      <path d={path(W, events, top, true)} fill="#22d3ee33" stroke="none" />
      <path d={path(W, events, top, false)} fill="none" stroke="#22d3ee" strokeWidth={1.5} />
      <path d={path(W, detections, top, true)} fill="#fb718544" stroke="none" />
      <path d={path(W, detections, top, false)} fill="none" stroke="#fb7185" strokeWidth={1.5} />
      {data.map((d, i) => {
        const x = PAD.left + (data.length < 2 ? plotW / 2 : (plotW * i) / (data.length - 1));
        return (
          <g key={d.ts}>
            <rect x={x - plotW / Math.max(1, data.length) / 2} y={PAD.top} width={plotW / Math.max(1, data.length)} height={H - PAD.top - PAD.bottom} fill="transparent">
              <title>{`${d.ts.slice(0, 13).replace("T", " ")}:00 UTC — ${fmtNumber(d.events)} events, ${fmtNumber(d.detections)} detections`}</title>
            </rect>
            {i % every === 0 ? (
              <text x={x} y={H - 6} fontSize={11} fill={AXIS} textAnchor="middle">
                {new Date(d.ts).toISOString().slice(11, 16)}
              </text>
            ) : null}
          </g>
        );
      })}
      <g fontSize={11}>
        <text x={W - PAD.right - 150} y={PAD.top + 12} fill="#22d3ee">■ events</text>
        <text x={W - PAD.right - 75} y={PAD.top + 12} fill="#fb7185">■ detections</text>
      </g>
          </>
        );
      }}
    </Frame>
  );
}, same);
