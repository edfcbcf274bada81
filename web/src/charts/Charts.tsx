// The overview's two charts as plain SVG: they render in a few milliseconds, so the page stays
// interactive while data refresh (Recharts, kept for the attacker page, cost ~150–350 ms on its
// first render here, right after the data arrived). Hover shows exact values (<title>).
import { memo, useLayoutEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { Stats } from "../api/types";
import { fmtNumber } from "../lib/format";

const H = 200;
const PAD = { left: 44, right: 20, top: 8, bottom: 22 };
const AXIS = "#64748b";
const GRID = "#1e293b";
const PLOT_H = H - PAD.top - PAD.bottom;

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

const yOf = (v: number, top: number) => H - PAD.bottom - (PLOT_H * v) / top;

/** An SVG drawn at the container's real width (text keeps its real size). */
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

function Grid({ top, width }: { top: number; width: number }) {
  return (
    <g fontSize={11} fill={AXIS}>
      {[0, ...ticks(top)].map((v) => (
        <g key={v}>
          <line x1={PAD.left} x2={width - PAD.right} y1={yOf(v, top)} y2={yOf(v, top)} stroke={GRID} />
          <text x={PAD.left - 6} y={yOf(v, top) + 4} textAnchor="end">
            {fmtNumber(v)}
          </text>
        </g>
      ))}
    </g>
  );
}

const same = <T,>(a: { data: T }, b: { data: T }) => JSON.stringify(a.data) === JSON.stringify(b.data);

function Bars({ counts, width }: { counts: number[]; width: number }) {
  const top = ticks(Math.max(...counts))[3];
  const bw = (width - PAD.left - PAD.right) / counts.length;
  return (
    <>
      <Grid top={top} width={width} />
      {counts.map((n, b) => (
        <g key={b}>
          <rect
            data-testid="score-bar"
            x={PAD.left + b * bw + 3}
            y={yOf(n, top)}
            width={Math.max(1, bw - 6)}
            height={(PLOT_H * n) / top}
            fill={bucketColour(b)}
          >
            <title>{`score ${b * 10}–${b * 10 + 9}: ${fmtNumber(n)}`}</title>
          </rect>
          <text x={PAD.left + b * bw + bw / 2} y={H - 6} fontSize={11} fill={AXIS} textAnchor="middle">
            {b * 10}
          </text>
        </g>
      ))}
    </>
  );
}

export const ScoreHistogram = memo(function ScoreHistogram({ data }: { data: Stats["score_histogram"] }) {
  const counts = Array.from({ length: 10 }, (_, b) => data.find((d) => d.bucket === b)?.count ?? 0);
  return <Frame label="Threat score distribution">{(width) => <Bars counts={counts} width={width} />}</Frame>;
}, same);

function linePath(xs: number[], values: number[], top: number, closed: boolean): string {
  const line = values.map((v, i) => `${i ? "L" : "M"}${xs[i].toFixed(1)},${yOf(v, top).toFixed(1)}`).join("");
  if (!closed || values.length === 0) return line;
  return `${line}L${xs[xs.length - 1]},${yOf(0, top)}L${xs[0]},${yOf(0, top)}Z`;
}

function Areas({ data, width }: { data: Stats["timeline"]; width: number }) {
  const events = data.map((d) => d.events);
  const detections = data.map((d) => d.detections);
  const top = ticks(Math.max(0, ...events, ...detections))[3];
  const plotW = width - PAD.left - PAD.right;
  const xs = data.map((_, i) => PAD.left + (data.length < 2 ? plotW / 2 : (plotW * i) / (data.length - 1)));
  const slot = plotW / Math.max(1, data.length);
  const every = Math.max(1, Math.ceil(data.length / Math.max(2, Math.floor(width / 70))));
  return (
    <>
      <Grid top={top} width={width} />
      <path d={linePath(xs, events, top, true)} fill="#22d3ee33" />
      <path d={linePath(xs, events, top, false)} fill="none" stroke="#22d3ee" strokeWidth={1.5} />
      <path d={linePath(xs, detections, top, true)} fill="#fb718544" />
      <path d={linePath(xs, detections, top, false)} fill="none" stroke="#fb7185" strokeWidth={1.5} />
      {data.map((d, i) => (
        <g key={d.ts}>
          <rect x={xs[i] - slot / 2} y={PAD.top} width={slot} height={PLOT_H} fill="transparent">
            <title>{`${d.ts.slice(0, 13).replace("T", " ")}:00 UTC — ${fmtNumber(d.events)} events, ${fmtNumber(d.detections)} detections`}</title>
          </rect>
          {i % every === 0 ? (
            <text x={xs[i]} y={H - 6} fontSize={11} fill={AXIS} textAnchor="middle">
              {new Date(d.ts).toISOString().slice(11, 16)}
            </text>
          ) : null}
        </g>
      ))}
      <g fontSize={11}>
        <text x={width - PAD.right - 150} y={PAD.top + 12} fill="#22d3ee">
          ■ events
        </text>
        <text x={width - PAD.right - 75} y={PAD.top + 12} fill="#fb7185">
          ■ detections
        </text>
      </g>
    </>
  );
}

export const Timeline = memo(function Timeline({ data }: { data: Stats["timeline"] }) {
  return <Frame label="Events and detections per hour">{(width) => <Areas data={data} width={width} />}</Frame>;
}, same);
