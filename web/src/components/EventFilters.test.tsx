import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { EMPTY_FILTER, EventFilters, filterFromParams, filterToParams, filterToQuery } from "./EventFilters";

const FACETS = {
  kinds: ["auth.attempt", "command.input", "sensor.status"],
  protocols: ["http", "ssh"],
  sensors: ["http", "ssh"],
  rules: [],
  severities: [],
};

function options(label: string): string[] {
  return Array.from((screen.getByLabelText(label) as HTMLSelectElement).options).map((o) => o.value);
}

describe("EventFilters", () => {
  it("offers only the stored kinds, protocols and sensors (from /api/facets)", () => {
    render(<EventFilters value={EMPTY_FILTER} onApply={vi.fn()} facets={FACETS} />);
    expect(options("Kind")).toEqual(["", "auth.attempt", "command.input", "sensor.status"]);
    expect(options("Protocol")).toEqual(["", "http", "ssh"]);
    expect(options("Sensor")).toEqual(["", "http", "ssh"]);
    expect(options("Kind")).not.toContain("network.arp");
  });

  it("keeps a value from the URL selectable when nothing stores it", () => {
    render(<EventFilters value={{ ...EMPTY_FILTER, kind: "smtp.message" }} onApply={vi.fn()} facets={FACETS} />);
    expect(options("Kind")).toContain("smtp.message");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("smtp.message");
  });

  it("applies the chosen filters on submit", () => {
    const onApply = vi.fn();
    render(<EventFilters value={EMPTY_FILTER} onApply={onApply} facets={FACETS} />);
    fireEvent.change(screen.getByLabelText("Level"), { target: { value: "HIGH" } });
    fireEvent.change(screen.getByLabelText("Protocol"), { target: { value: "ssh" } });
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "command.input" } });
    fireEvent.change(screen.getByLabelText("Source IP"), { target: { value: " 198.51.100.9 " } });
    fireEvent.change(screen.getByLabelText("Sensor"), { target: { value: "ssh" } });
    expect(onApply).not.toHaveBeenCalled();
    fireEvent.click(screen.getByText("Apply"));
    expect(onApply).toHaveBeenCalledWith({
      ...EMPTY_FILTER, level: "HIGH", protocol: "ssh", kind: "command.input", src_ip: " 198.51.100.9 ", sensor: "ssh",
    });
  });

  it("shows since/until only for a custom range and clears everything", () => {
    const onApply = vi.fn();
    render(<EventFilters value={{ ...EMPTY_FILTER, level: "LOW" }} onApply={onApply} />);
    expect(screen.queryByLabelText("Since (UTC)")).toBeNull();
    fireEvent.change(screen.getByLabelText("Time"), { target: { value: "custom" } });
    expect(screen.getByLabelText("Since (UTC)")).toBeTruthy();
    fireEvent.click(screen.getByText("Clear"));
    expect(onApply).toHaveBeenCalledWith(EMPTY_FILTER);
    expect((screen.getByLabelText("Level") as HTMLSelectElement).value).toBe("");
  });

  it("turns filters into API parameters", () => {
    const now = Date.UTC(2026, 10, 21, 12, 0, 0);
    const hb = { exclude_kind: "sensor.status" };
    expect(filterToQuery({ ...EMPTY_FILTER, src_ip: " 1.2.3.4 ", range: "1h" }, now)).toEqual({
      src_ip: "1.2.3.4",
      since: "2026-11-21T11:00:00.000Z",
      ...hb,
    });
    expect(
      filterToQuery({ ...EMPTY_FILTER, range: "custom", since: "2026-11-20T08:30", until: "2026-11-21T09:00" }, now),
    ).toEqual({ since: "2026-11-20T08:30:00.000Z", until: "2026-11-21T09:00:00.000Z", ...hb });
    expect(filterToQuery(EMPTY_FILTER, now)).toEqual(hb);
  });

  it("leaves heartbeats out unless asked for or chosen as the kind", () => {
    expect(filterToQuery({ ...EMPTY_FILTER, heartbeats: "1" })).toEqual({});
    expect(filterToQuery({ ...EMPTY_FILTER, kind: "sensor.status" })).toEqual({ kind: "sensor.status" });
    render(<EventFilters value={EMPTY_FILTER} onApply={vi.fn()} facets={FACETS} />);
    expect((screen.getByLabelText("Heartbeats") as HTMLInputElement).checked).toBe(false);
  });

  it("round-trips through the URL", () => {
    const f = { ...EMPTY_FILTER, level: "MEDIUM", kind: "http.request" };
    const p = filterToParams(f);
    expect(p.toString()).toBe("level=MEDIUM&kind=http.request");
    expect(filterFromParams(p)).toEqual(f);
  });
});
