// The live feed: one EventSource on /api/stream, batched into React state every `flushMs`.
import { useEffect, useRef, useState } from "react";
import { api, getToken, query } from "../api/client";
import type { StreamEvent } from "../api/types";
import { EVENT_KINDS } from "../lib/kinds";
import { StreamBuffer } from "../lib/streamBuffer";

export type StreamStatus = "connecting" | "live" | "reconnecting";

export interface StreamOptions {
  kinds?: readonly string[];
  cap?: number;
  flushMs?: number;
  paused?: boolean;
}

export interface StreamState {
  events: StreamEvent[];
  status: StreamStatus;
  total: number;
  rate: number;
}

const RETRY_MS = [1000, 2000, 5000, 10000];

function parse(data: string): StreamEvent | null {
  try {
    const ev = JSON.parse(data) as StreamEvent;
    return typeof ev === "object" && ev !== null && typeof ev.kind === "string" ? ev : null;
  } catch {
    return null;
  }
}

/** The stream URL: a single-use ticket (POST /api/stream/ticket with the bearer token)
 * instead of the token, which must never appear in a URL. Without a token (auth off) no
 * ticket is needed. */
async function streamUrl(kinds: string | undefined): Promise<string> {
  let ticket: string | undefined;
  if (getToken()) ticket = (await api<{ ticket: string }>("/api/stream/ticket", { method: "POST" })).ticket;
  return `/api/stream${query({ ticket, kinds })}`;
}

/** Open the stream with a fresh ticket each time: a ticket works once, so when EventSource
 * gives up (its own retry reuses the spent ticket and gets 401) we reopen with a new one. */
function useSource(kinds: string | undefined, onEvent: (ev: StreamEvent) => void, setStatus: (s: StreamStatus) => void) {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let closed = false;
    const retry = () => {
      if (!closed) timer = setTimeout(open, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
    };
    const listen = (m: MessageEvent<string>) => {
      const ev = parse(m.data);
      if (ev) handler.current(ev);
    };
    const open = () => {
      streamUrl(kinds).then(connect, () => {
        setStatus("reconnecting");
        retry();
      });
    };
    const connect = (url: string) => {
      if (closed) return;
      source = new EventSource(url);
      source.onopen = () => {
        failures = 0;
        setStatus("live");
      };
      source.onerror = () => {
        setStatus("reconnecting");
        // EventSource's own reconnect would reuse the spent ticket: always reopen with a new one.
        source?.close();
        retry();
      };
      source.onmessage = listen;
      for (const kind of EVENT_KINDS) source.addEventListener(kind, listen as EventListener);
    };
    open();
    return () => {
      closed = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [kinds, setStatus]);
}

export function useEventStream(opts: StreamOptions = {}): StreamState {
  const { kinds, cap = 200, flushMs = 250, paused = false } = opts;
  const buffer = useRef(new StreamBuffer<StreamEvent>(cap));
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [counts, setCounts] = useState({ total: 0, rate: 0 });
  useSource(kinds?.join(","), (ev) => buffer.current.push(ev), setStatus);

  useEffect(() => {
    let lastTotal = buffer.current.total;
    let lastAt = performance.now();
    const t = setInterval(() => {
      const b = buffer.current;
      if (!paused) {
        const fresh = b.drain([]);
        if (fresh) setEvents((prev) => fresh.concat(prev).slice(0, b.cap));
      }
      const now = performance.now();
      if (now - lastAt >= 1000) {
        const rate = ((b.total - lastTotal) * 1000) / (now - lastAt);
        setCounts({ total: b.total, rate: Math.round(rate) });
        lastTotal = b.total;
        lastAt = now;
      }
    }, flushMs);
    return () => clearInterval(t);
  }, [flushMs, paused]);

  return { events, status, total: counts.total, rate: counts.rate };
}
