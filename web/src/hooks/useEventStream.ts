// The live feed: one EventSource on /api/stream, batched into React state every `flushMs`.
import { useEffect, useRef, useState } from "react";
import { getToken, query } from "../api/client";
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

/** Open the stream; EventSource retries by itself, and we reopen it if it gives up. */
function useSource(url: string, onEvent: (ev: StreamEvent) => void, setStatus: (s: StreamStatus) => void) {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const listen = (m: MessageEvent<string>) => {
      const ev = parse(m.data);
      if (ev) handler.current(ev);
    };
    const open = () => {
      source = new EventSource(url);
      source.onopen = () => {
        failures = 0;
        setStatus("live");
      };
      source.onerror = () => {
        setStatus("reconnecting");
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          timer = setTimeout(open, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
        }
      };
      source.onmessage = listen;
      for (const kind of EVENT_KINDS) source.addEventListener(kind, listen as EventListener);
    };
    open();
    return () => {
      clearTimeout(timer);
      source?.close();
    };
  }, [url, setStatus]);
}

export function useEventStream(opts: StreamOptions = {}): StreamState {
  const { kinds, cap = 200, flushMs = 250, paused = false } = opts;
  const buffer = useRef(new StreamBuffer<StreamEvent>(cap));
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [counts, setCounts] = useState({ total: 0, rate: 0 });
  const url = `/api/stream${query({ token: getToken(), kinds: kinds?.join(",") })}`;

  useSource(url, (ev) => buffer.current.push(ev), setStatus);

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
