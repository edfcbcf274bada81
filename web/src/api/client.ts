// Fetch wrapper: bearer token, JSON, RFC 9457 problem+json errors as ApiError.

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(status: number, title: string, detail: string) {
    super(detail || title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
  }
}

const TOKEN_KEY = "phantomnet.token";

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(token: string | null = getToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function problem(res: Response): Promise<ApiError> {
  let title = res.statusText;
  let detail = "";
  try {
    const body = (await res.json()) as { title?: string; detail?: unknown };
    title = body.title ?? title;
    detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? "");
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(res.status, title, detail);
}

/** GET/POST/DELETE ``path`` (starting with "/"), parse JSON, throw ApiError on non-2xx. */
export async function api<T>(
  path: string,
  init: RequestInit & { token?: string | null } = {},
): Promise<T> {
  const { token, headers, ...rest } = init;
  let res: Response;
  try {
    res = await fetch(path, {
      ...rest,
      headers: {
        Accept: "application/json",
        ...(rest.body ? { "Content-Type": "application/json" } : {}),
        ...authHeaders(token === undefined ? getToken() : token),
        ...(headers as Record<string, string> | undefined),
      },
    });
  } catch (err) {
    throw new ApiError(0, "Network error", `Cannot reach the API (${String(err)})`);
  }
  if (!res.ok) throw await problem(res);
  return (await res.json()) as T;
}

/** Build a query string from defined, non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
