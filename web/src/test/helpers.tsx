// Test helpers: a scripted fetch and a controllable EventSource.
import { vi } from "vitest";

type Route = (url: string, init?: RequestInit) => { status: number; body: unknown } | undefined;

/** Stub global fetch with a function answering JSON per URL; returns the mock. */
export function stubFetch(route: Route) {
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const r = route(url, init) ?? { status: 404, body: { title: "Not Found", status: 404, detail: url } };
    return new Response(JSON.stringify(r.body), {
      status: r.status,
      headers: { "Content-Type": r.status < 400 ? "application/json" : "application/problem+json" },
    });
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

export class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  closed = false;

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }

  close() {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }

  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event("open"));
  }

  /** Deliver one server message named `kind` (as the API does: `event: <kind>`). */
  emit(kind: string, data: unknown) {
    const ev = new MessageEvent(kind, { data: JSON.stringify(data) });
    for (const fn of this.listeners.get(kind) ?? []) fn(ev);
  }

  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.(new Event("error"));
  }
}

export function stubEventSource() {
  FakeEventSource.instances = [];
  vi.stubGlobal("EventSource", FakeEventSource);
  return FakeEventSource;
}

export function authEvent(i: number, ip = "203.0.113.7") {
  return {
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    kind: "auth.attempt",
    occurred_at: new Date(Date.UTC(2026, 10, 21, 7, 0, 0, i)).toISOString(),
    sensor: { node: "n1", component: "ssh" },
    src: { ip, port: 40000 },
    protocol: "ssh",
    method: "password",
    username: `user${i}`,
    password: "hunter2",
    accepted: false,
  };
}
