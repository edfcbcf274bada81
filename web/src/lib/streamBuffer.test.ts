import { describe, expect, it } from "vitest";
import { StreamBuffer } from "./streamBuffer";

describe("StreamBuffer", () => {
  it("returns null when nothing is pending", () => {
    expect(new StreamBuffer<number>(5).drain([1, 2])).toBeNull();
  });

  it("merges newest first and keeps at most cap items", () => {
    const b = new StreamBuffer<number>(5);
    [1, 2, 3].forEach((n) => b.push(n));
    const first = b.drain([])!;
    expect(first).toEqual([3, 2, 1]);
    [4, 5, 6, 7].forEach((n) => b.push(n));
    expect(b.drain(first)).toEqual([7, 6, 5, 4, 3]);
    expect(b.total).toBe(7);
    expect(b.pendingCount).toBe(0);
  });

  it("bounds memory during a burst and counts what it skipped", () => {
    const b = new StreamBuffer<number>(100);
    for (let i = 0; i < 100_000; i++) b.push(i);
    expect(b.pendingCount).toBeLessThan(200);
    const list = b.drain([])!;
    expect(list).toHaveLength(100);
    expect(list[0]).toBe(99_999);
    expect(list[99]).toBe(99_900);
    expect(b.total).toBe(100_000);
    expect(b.skipped).toBe(100_000 - 100);
  });
});
