// Every event kind of the catalogue (src/phantomnet/events/catalogue.py). The SSE stream
// names each message after its kind, so EventSource needs one listener per kind.
export const EVENT_KINDS = [
  "connection.opened", "connection.closed", "auth.attempt", "command.input", "command.error",
  "session.request", "file.upload",
  "file.download", "http.request", "smtp.message", "db.query", "client.fingerprint",
  "honeytoken.triggered", "sensor.status", "network.flow", "network.packet", "network.stats",
  "network.dns", "network.http", "network.tls", "network.ssh", "network.arp", "parser.anomaly",
  "detection", "score", "verification.result", "response.block", "response.unblock",
] as const;

/** Kinds shown in the live feed by default (heartbeats and raw packets are noise there). */
export const FEED_KINDS = EVENT_KINDS.filter(
  (k) => k !== "sensor.status" && k !== "network.packet" && k !== "network.stats",
);

export const PROTOCOLS = [
  "ssh", "telnet", "http", "https", "ftp", "smtp", "mysql", "postgresql", "tcp", "udp", "icmp",
  "dns", "tls", "other",
];

export const LEVELS = ["LOW", "MEDIUM", "HIGH"] as const;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
