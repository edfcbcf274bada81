import { act, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setToken } from "../api/client";
import { authEvent, stubEventSource, stubFetch } from "../test/helpers";
import { ANNOUNCE_EVERY_MS, LiveFeed } from "./LiveFeed";

let tickets = 0;

/** Let the ticket request (a fetch, resolved in microtasks) complete. */
async function settle() {
  for (let i = 0; i < 5; i++) await act(async () => {});
}

async function mount() {
  const out = render(
    <MemoryRouter>
      <LiveFeed cap={50} />
    </MemoryRouter>,
  );
  await settle();
  return out;
}

describe("LiveFeed", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    setToken("tok-123");
    tickets = 0;
    stubFetch((url, init) =>
      url === "/api/stream/ticket" && init?.method === "POST" && new Headers(init.headers).get("Authorization") === "Bearer tok-123"
        ? { status: 200, body: { ticket: `pt_${++tickets}`, expires_in_s: 30 } }
        : undefined,
    );
  });

  it("opens the SSE stream with a single-use ticket, never the token, and a listener per kind", async () => {
    const ES = stubEventSource();
    await mount();
    expect(ES.instances).toHaveLength(1);
    const url = new URL(ES.instances[0].url, "http://x");
    expect(url.pathname).toBe("/api/stream");
    expect(url.searchParams.get("ticket")).toBe("pt_1");
    expect(url.searchParams.has("token")).toBe(false);
    expect(ES.instances[0].url).not.toContain("tok-123");
    expect(ES.instances[0].listeners.has("auth.attempt")).toBe(true);
    expect(ES.instances[0].listeners.has("detection")).toBe(true);
  });

  it("batches a burst of 5000 events into a capped list, newest first", async () => {
    const ES = stubEventSource();
    await mount();
    const es = ES.instances[0];
    act(() => es.open());
    expect(screen.getByTestId("stream-status").textContent).toContain("live");
    act(() => {
      for (let i = 0; i < 5000; i++) es.emit("auth.attempt", authEvent(i));
    });
    // Nothing rendered until the flush tick: events are not rendered one by one.
    expect(screen.queryAllByTestId("live-row")).toHaveLength(0);
    act(() => vi.advanceTimersByTime(300));
    const rows = screen.getAllByTestId("live-row");
    expect(rows).toHaveLength(50);
    expect(rows[0].textContent).toContain("user4999");
    expect(rows[49].textContent).toContain("user4950");
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId("stream-total").textContent).toBe("5,000");
  });

  it("keeps older rows below newer ones across flushes", async () => {
    const ES = stubEventSource();
    await mount();
    const es = ES.instances[0];
    act(() => es.emit("auth.attempt", authEvent(1)));
    act(() => vi.advanceTimersByTime(300));
    act(() => es.emit("command.input", { ...authEvent(2), kind: "command.input", command: "uname -a" }));
    act(() => vi.advanceTimersByTime(300));
    const rows = screen.getAllByTestId("live-row");
    expect(rows.map((r) => r.textContent)).toEqual([expect.stringContaining("$ uname -a"), expect.stringContaining("user1")]);
  });

  it("a source address in a row opens the attacker page in-app", async () => {
    const ES = stubEventSource();
    function Attacker() {
      return <p>attacker page of {useParams().ip}</p>;
    }
    render(
      <MemoryRouter>
        <Routes>
          <Route path="/" element={<LiveFeed cap={10} />} />
          <Route path="/attackers/:ip" element={<Attacker />} />
        </Routes>
      </MemoryRouter>,
    );
    await settle();
    act(() => ES.instances[0].emit("auth.attempt", authEvent(1, "198.51.100.4")));
    act(() => vi.advanceTimersByTime(300));
    fireEvent.click(screen.getByText("198.51.100.4"));
    expect(screen.getByText("attacker page of 198.51.100.4")).toBeTruthy();
  });

  it("ignores malformed messages", async () => {
    const ES = stubEventSource();
    await mount();
    const es = ES.instances[0];
    act(() => {
      for (const fn of es.listeners.get("auth.attempt")!) fn(new MessageEvent("auth.attempt", { data: "{not json" }));
    });
    act(() => vi.advanceTimersByTime(300));
    expect(screen.queryAllByTestId("live-row")).toHaveLength(0);
  });

  it("reconnects by itself when the server closes the stream", async () => {
    const ES = stubEventSource();
    await mount();
    act(() => ES.instances[0].fail(true));
    expect(screen.getByTestId("stream-status").textContent).toContain("reconnecting");
    expect(ES.instances[0].closed).toBe(true);
    act(() => vi.advanceTimersByTime(1100));
    await settle();
    expect(ES.instances).toHaveLength(2);
    expect(new URL(ES.instances[1].url, "http://x").searchParams.get("ticket")).toBe("pt_2");
    act(() => ES.instances[1].open());
    expect(screen.getByTestId("stream-status").textContent).toContain("live");
  });

  it("a dropped stream is reopened with a fresh ticket (EventSource would reuse the spent one)", async () => {
    const ES = stubEventSource();
    await mount();
    act(() => ES.instances[0].fail(false));
    expect(ES.instances[0].closed).toBe(true);
    act(() => vi.advanceTimersByTime(1100));
    await settle();
    expect(ES.instances).toHaveLength(2);
    expect(ES.instances[1].url).toContain("ticket=pt_2");
  });

  it("opens no stream and shows reconnecting while the ticket request fails", async () => {
    const ES = stubEventSource();
    stubFetch(() => ({ status: 503, body: { title: "Unavailable", status: 503, detail: "db down" } }));
    await mount();
    expect(ES.instances).toHaveLength(0);
    expect(screen.getByTestId("stream-status").textContent).toContain("reconnecting");
  });

  it("announces new events in a polite live region, summarised and throttled", async () => {
    const ES = stubEventSource();
    await mount();
    const region = screen.getByTestId("live-announcement");
    expect(region.getAttribute("aria-live")).toBe("polite");
    expect(screen.getByTestId("stream-status").getAttribute("role")).toBe("status");
    const es = ES.instances[0];
    act(() => {
      for (let i = 0; i < 3; i++) es.emit("auth.attempt", authEvent(i, "198.51.100.4"));
    });
    act(() => vi.advanceTimersByTime(ANNOUNCE_EVERY_MS - 500));
    expect(region.textContent).toBe(""); // rows are shown, the announcement waits
    expect(screen.getAllByTestId("live-row")).toHaveLength(3);
    act(() => vi.advanceTimersByTime(1000));
    expect(region.textContent).toBe("3 new events; newest: auth.attempt from 198.51.100.4");
    act(() => vi.advanceTimersByTime(ANNOUNCE_EVERY_MS));
    expect(region.textContent).toBe("3 new events; newest: auth.attempt from 198.51.100.4"); // nothing new
  });
});
