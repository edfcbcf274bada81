import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import type { AttackerItem } from "../api/types";
import { WorldMap, radiusFor } from "./WorldMap";

function attacker(ip: string, events: number, lat: number | null, lon: number | null): AttackerItem {
  return {
    ip, first_seen: "", last_seen: "", event_count: events, detection_count: 0, max_score: null,
    last_score: null, last_level: "HIGH", country: null, country_code: null, city: null, asn: null,
    latitude: lat, longitude: lon, protocols: ["ssh"],
  };
}

describe("WorldMap", () => {
  it("draws the bundled land shapes and one circle per located attacker, sized by activity", () => {
    const { container } = render(
      <MemoryRouter>
        <WorldMap attackers={[attacker("1.1.1.1", 100, 48.8, 2.3), attacker("2.2.2.2", 1, -33.9, 151.2), attacker("127.0.0.1", 50, null, null)]} />
      </MemoryRouter>,
    );
    const land = container.querySelector("path");
    expect(land?.getAttribute("d")?.length ?? 0).toBeGreaterThan(1000);
    const points = screen.getAllByTestId("map-point");
    expect(points).toHaveLength(2);
    const [big, small] = points.map((p) => Number(p.getAttribute("r")));
    expect(big).toBeGreaterThan(small);
    // Paris is left of Sydney and above it.
    const [paris, sydney] = points.map((p) => [Number(p.getAttribute("cx")), Number(p.getAttribute("cy"))]);
    expect(paris[0]).toBeLessThan(sydney[0]);
    expect(paris[1]).toBeLessThan(sydney[1]);
  });

  it("radius grows with the square root of activity", () => {
    expect(radiusFor(100, 100)).toBeCloseTo(20);
    expect(radiusFor(25, 100)).toBeCloseTo(3 + 17 * 0.5);
    expect(radiusFor(0, 0)).toBe(3);
  });
});
