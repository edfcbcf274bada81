import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ScoreHistogram, Timeline, ticks } from "./Charts";

describe("overview charts", () => {
  it("bars are proportional to the bucket counts", () => {
    render(<ScoreHistogram data={[{ bucket: 0, count: 10 }, { bucket: 9, count: 40 }]} />);
    const bars = screen.getAllByTestId("score-bar");
    expect(bars).toHaveLength(10);
    const h = bars.map((b) => Number(b.getAttribute("height")));
    expect(h[9]).toBeCloseTo(h[0] * 4);
    expect(h[5]).toBe(0);
    expect(bars[9].textContent).toBe("score 90–99: 40");
  });

  it("timeline draws one line per series and labels hours", () => {
    const data = Array.from({ length: 24 }, (_, i) => ({
      ts: new Date(Date.UTC(2026, 10, 21, i)).toISOString(), events: i * 10, detections: i,
    }));
    const { container } = render(<Timeline data={data} />);
    expect(container.querySelectorAll("path")).toHaveLength(4);
    expect(container.textContent).toContain("00:00");
    expect(container.textContent).toContain("21:00");
  });

  it("gridlines are round numbers covering the maximum", () => {
    expect(ticks(37)).toEqual([10, 20, 30, 40]);
    expect(ticks(1000)).toEqual([250, 500, 750, 1000]);
    expect(ticks(0)).toEqual([1, 2, 3, 4]);
    expect(ticks(6)).toEqual([2, 4, 6, 8]);
  });
});
