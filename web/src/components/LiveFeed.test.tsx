import { act, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setToken } from "../api/client";
import { authEvent, stubEventSource } from "../test/helpers";
import { LiveFeed } from "./LiveFeed";

function mount() {
  return render(
    <MemoryRouter>
      <LiveFeed cap={50} />
    </MemoryRouter>,
  );
}

describe("LiveFeed", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    setToken("tok-123");
  });

  it("opens the SSE stream with the token and a listener per event kind", () => {
    const ES = stubEventSource();
    mount();
    expect(ES.instances).toHaveLength(1);
    const url = new URL(ES.instances[0].url, "http://x");
    expect(url.pathname).toBe("/api/stream");
    expect(url.searchParams.get("token")).toBe("tok-123");
    expect(ES.instances[0].listeners.has("auth.attempt")).toBe(true);
    expect(ES.instances[0].listeners.has("detection")).toBe(true);
  });

  it("batches a burst of 5000 events into a capped list, newest first", () => {
    const ES = stubEventSource();
    mount();
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

  it("keeps older rows below newer ones across flushes", () => {
    const ES = stubEventSource();
    mount();
    const es = ES.instances[0];
    act(() => es.emit("auth.attempt", authEvent(1)));
    act(() => vi.advanceTimersByTime(300));
    act(() => es.emit("command.input", { ...authEvent(2), kind: "command.input", command: "uname -a" }));
    act(() => vi.advanceTimersByTime(300));
    const rows = screen.getAllByTestId("live-row");
    expect(rows.map((r) => r.textContent)).toEqual([expect.stringContaining("$ uname -a"), expect.stringContaining("user1")]);
  });

  it("a source address in a row opens the attacker page in-app", () => {
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
    act(() => ES.instances[0].emit("auth.attempt", authEvent(1, "198.51.100.4")));
    act(() => vi.advanceTimersByTime(300));
    fireEvent.click(screen.getByText("198.51.100.4"));
    expect(screen.getByText("attacker page of 198.51.100.4")).toBeTruthy();
  });

  it("ignores malformed messages", () => {
    const ES = stubEventSource();
    mount();
    const es = ES.instances[0];
    act(() => {
      for (const fn of es.listeners.get("auth.attempt")!) fn(new MessageEvent("auth.attempt", { data: "{not json" }));
    });
    act(() => vi.advanceTimersByTime(300));
    expect(screen.queryAllByTestId("live-row")).toHaveLength(0);
  });

  it("reconnects by itself when the server closes the stream", () => {
    const ES = stubEventSource();
    mount();
    act(() => ES.instances[0].fail(true));
    expect(screen.getByTestId("stream-status").textContent).toContain("reconnecting");
    expect(ES.instances[0].closed).toBe(true);
    act(() => vi.advanceTimersByTime(1100));
    expect(ES.instances).toHaveLength(2);
    act(() => ES.instances[1].open());
    expect(screen.getByTestId("stream-status").textContent).toContain("live");
  });

  it("leaves transient errors to EventSource's own retry", () => {
    const ES = stubEventSource();
    mount();
    act(() => ES.instances[0].fail(false));
    act(() => vi.advanceTimersByTime(15000));
    expect(ES.instances).toHaveLength(1);
  });
});
