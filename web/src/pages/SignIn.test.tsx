import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { getToken, setToken } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import { stubEventSource, stubFetch } from "../test/helpers";

const STATS = {
  events_total: 10, events_window: 7, attackers_window: 2, detections_window: 1, blocked_active: 0, blocked_unapplied: 0,
  by_protocol: { ssh: 7 }, by_kind: {}, levels: { HIGH: 1 }, score_histogram: [], timeline: [],
};

function api(valid: Record<string, "admin" | "viewer">) {
  return stubFetch((url, init) => {
    const auth = new Headers(init?.headers).get("Authorization") ?? "";
    const role = valid[auth.replace("Bearer ", "")];
    if (!role) return { status: 401, body: { title: "Unauthorized", status: 401, detail: "bad token" } };
    if (url === "/api/me") return { status: 200, body: { role, auth: "on" } };
    if (url.startsWith("/api/stats")) return { status: 200, body: STATS };
    if (url.startsWith("/api/attackers")) return { status: 200, body: { items: [], next_cursor: null } };
    if (url.startsWith("/api/honeypots/status")) return { status: 200, body: { items: [] } };
    return undefined;
  });
}

function mount() {
  stubEventSource();
  return render(
    <MemoryRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </MemoryRouter>,
  );
}

describe("sign-in", () => {
  it("asks for a token, refuses a bad one, accepts a good one and keeps it in sessionStorage", async () => {
    const fetch = api({ good: "viewer" });
    mount();
    const input = await screen.findByLabelText("API token");
    // The exact command that works (--role is required by the CLI).
    expect(screen.getByTestId("token-command").textContent).toBe(".venv/bin/phantomnet token create --role admin");
    fireEvent.change(input, { target: { value: "wrong" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("The API refused this token.")).toBeTruthy();
    expect(getToken()).toBeNull();

    fireEvent.change(screen.getByLabelText("API token"), { target: { value: " good " } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Overview" })).toBeTruthy();
    expect(getToken()).toBe("good");
    // the overview renders before /api/me answers (see the last test); the role follows
    await waitFor(() => expect(screen.getByTestId("role").textContent).toBe("viewer"));
    await waitFor(() => expect(screen.getByTestId("kpi-events").textContent).toBe("7"));
    expect(fetch.mock.calls.some(([u]) => String(u).startsWith("/api/stats"))).toBe(true);
  });

  it("resumes a stored session and signs out", async () => {
    api({ kept: "admin" });
    setToken("kept");
    mount();
    expect(await screen.findByRole("heading", { name: "Overview" })).toBeTruthy();
    // the overview renders before /api/me answers (see the last test); the role follows
    await waitFor(() => expect(screen.getByTestId("role").textContent).toBe("admin"));
    fireEvent.click(screen.getByText("Sign out"));
    expect(await screen.findByLabelText("API token")).toBeTruthy();
    expect(getToken()).toBeNull();
  });

  it("with a stored token, loads the overview while /api/me is still answering", async () => {
    let answerMe: (r: Response) => void = () => {};
    const calls: string[] = [];
    vi.stubGlobal("fetch", vi.fn((input: RequestInfo | URL) => {
      const url = String(input);
      calls.push(url);
      if (url === "/api/me") return new Promise<Response>((resolve) => (answerMe = resolve));
      return Promise.resolve(new Response(JSON.stringify(url.startsWith("/api/stats") ? STATS : { items: [] })));
    }));
    setToken("kept");
    mount();
    await waitFor(() => expect(screen.getByTestId("kpi-events").textContent).toBe("7"));
    expect(calls).toContain("/api/me");
    expect(screen.queryByTestId("role")).toBeNull();
    answerMe(new Response(JSON.stringify({ role: "viewer", auth: "on" })));
    await waitFor(() => expect(screen.getByTestId("role").textContent).toBe("viewer"));
  });

  it("shows an error (not a blank page) when the API is unreachable", async () => {
    stubFetch(() => {
      throw new TypeError("Failed to fetch");
    });
    mount();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Cannot reach the API");
    expect(screen.getByText("Retry")).toBeTruthy();
  });
});
