import { render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { stubEventSource, stubFetch } from "../test/helpers";
import { Overview } from "./Overview";

const STATS = {
  events_total: 1000, events_window: 420, attackers_window: 12, detections_window: 3, blocked_active: 2, blocked_unapplied: 3,
  by_protocol: { ssh: 300, http: 100, api: 15, storage: 5 }, by_kind: {}, levels: { HIGH: 4 },
  score_histogram: [{ bucket: 9, count: 4 }], timeline: [],
};
const STATUS = {
  items: [
    { node: "n", component: "ssh", state: "up", up: true, listen: "127.0.0.1:2222", connections: 1, events: 9, last_seen: new Date().toISOString(), detail: "" },
    { node: "n", component: "api", state: "up", up: true, listen: null, connections: 0, events: 0, last_seen: new Date().toISOString(), detail: "" },
    { node: "n", component: "storage", state: "down", up: false, listen: null, connections: 0, events: 0, last_seen: null, detail: "" },
    { node: "n", component: "sink-webhook", state: "degraded", up: true, listen: null, connections: 0, events: 7, last_seen: new Date().toISOString(), detail: "since 2026-12-06T10:00:00+00:00 (HTTPStatusError: 500) to http://siem:80/in (json)" },
  ],
};

describe("Overview", () => {
  it("shows KPIs, component status and protocol counts without component heartbeats", async () => {
    stubEventSource();
    stubFetch((url) => {
      if (url.startsWith("/api/stats")) return { status: 200, body: STATS };
      if (url.startsWith("/api/honeypots/status")) return { status: 200, body: STATUS };
      if (url.startsWith("/api/attackers")) return { status: 200, body: { items: [], next_cursor: null } };
      return undefined;
    });
    render(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    await waitFor(() => expect(screen.getByTestId("kpi-events").textContent).toBe("420"));
    expect(screen.getByTestId("kpi-attackers").textContent).toBe("12");
    // Enforced blocks only; dry-run ones are named apart, never added in.
    expect(screen.getByTestId("kpi-blocked").textContent).toBe("2");
    expect(screen.getByTestId("kpi-blocked-note").textContent).toContain("+3");
    const status = await screen.findByTestId("status-list");
    expect(within(status).getAllByLabelText("up")).toHaveLength(2);
    expect(within(status).getAllByLabelText("down")).toHaveLength(1);
    // A failing sink is marked apart, with its error.
    expect(within(status).getAllByLabelText("degraded")).toHaveLength(1);
    expect(within(status).getByTestId("degraded-detail").textContent).toContain("failing: since 2026-12-06");
    const card = screen.getByText("Events by protocol").closest("section")!;
    await waitFor(() => expect(card.textContent).not.toContain("storage"));
    expect(card.textContent).toContain("ssh");
    expect(card.textContent).toContain("http");
    expect(card.textContent).not.toContain("api");
  });
});
