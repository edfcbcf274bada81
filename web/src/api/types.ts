// Shapes of the PhantomNet HTTP API, from the generated OpenAPI types (schema.ts, made by
// `npm run gen:api`; `npm run check:api` fails when it is stale). Only names live here.
import type { components } from "./schema";

type S = components["schemas"];

export type Role = S["Me"]["role"];
export type Level = "LOW" | "MEDIUM" | "HIGH";

export type Me = S["Me"];
export type EventItem = S["EventItem"];
export type Stats = S["Stats"];
export type Facets = S["Facets"];
export type ComponentStatus = S["ComponentStatus"];
export type AttackerItem = S["AttackerItem"];
export type DetectionItem = S["DetectionItem"];
export type SessionItem = S["SessionItem"];
export type BlockItem = S["BlockItem"];
export type AttackerDetail = S["AttackerProfile"];
export type SessionDetail = S["SessionDetail"];
export type StreamTicket = S["StreamTicket"];
export type PathStatus = S["PathStatus"];

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** A live event as the SSE stream sends it: the event's own JSON (events/*.py models). */
export interface StreamEvent {
  event_id: string;
  kind: string;
  occurred_at: string;
  sensor?: { node: string; component: string };
  session_id?: string | null;
  src?: { ip: string; port: number | null } | null;
  dst?: { ip: string; port: number | null } | null;
  protocol?: string | null;
  level?: Level;
  score?: number;
  severity?: string;
  [key: string]: unknown;
}
