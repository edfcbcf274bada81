import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { AuthProvider } from "../auth/AuthContext";
import { useApi } from "../hooks/useApi";
import { stubFetch } from "../test/helpers";
import { BlockControl } from "./BlockControl";
import { ErrorBoundary } from "./ErrorBoundary";
import { Async } from "./States";

function Probe({ path }: { path: string }) {
  const q = useApi<{ items: string[] }>(path);
  return (
    <Async {...q} empty={(d) => d.items.length === 0} emptyText="Nothing here.">
      {(d) => <p>items: {d.items.join(",")}</p>}
    </Async>
  );
}

function Boom(): never {
  throw new Error("kaput");
}

describe("loading, empty and error states", () => {
  it("shows loading, then data", async () => {
    stubFetch(() => ({ status: 200, body: { items: ["a", "b"] } }));
    render(<Probe path="/api/x" />);
    expect(screen.getByRole("status").textContent).toContain("Loading");
    expect(await screen.findByText("items: a,b")).toBeTruthy();
  });

  it("shows the empty text", async () => {
    stubFetch(() => ({ status: 200, body: { items: [] } }));
    render(<Probe path="/api/x" />);
    expect(await screen.findByText("Nothing here.")).toBeTruthy();
  });

  it("shows a problem+json error with its status and retries", async () => {
    let fail = true;
    const fetch = stubFetch(() =>
      fail
        ? { status: 503, body: { type: "about:blank", title: "Unavailable", status: 503, detail: "database down" } }
        : { status: 200, body: { items: ["ok"] } },
    );
    render(<Probe path="/api/x" />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("HTTP 503");
    expect(alert.textContent).toContain("database down");
    fail = false;
    fireEvent.click(screen.getByText("Retry"));
    expect(await screen.findByText("items: ok")).toBeTruthy();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("error boundary turns a crash into a message", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    render(
      <ErrorBoundary area="Widget">
        <Boom />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert").textContent).toContain("Widget failed to render");
    expect(screen.getByRole("alert").textContent).toContain("kaput");
    spy.mockRestore();
  });
});

describe("admin-only controls", () => {
  function mount(role: "admin" | "viewer") {
    const fetch = stubFetch((url, init) => {
      if (url === "/api/me") return { status: 200, body: { role, auth: "on" } };
      if (url.startsWith("/api/active-defense/block/") && init?.method === "POST")
        return { status: 200, body: { id: 1, target: "203.0.113.7", active: true } };
      return undefined;
    });
    const onChange = vi.fn();
    render(
      <MemoryRouter>
        <AuthProvider>
          <BlockControl ip="203.0.113.7" block={null} onChange={onChange} />
        </AuthProvider>
      </MemoryRouter>,
    );
    return { fetch, onChange };
  }

  it("hides block controls from viewers", async () => {
    const { fetch } = mount("viewer");
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId("block-control")).toBeNull();
  });

  it("lets admins block with a duration", async () => {
    const { fetch, onChange } = mount("admin");
    fireEvent.change(await screen.findByLabelText("Block duration"), { target: { value: "24h" } });
    fireEvent.click(screen.getByText("Block 203.0.113.7"));
    await waitFor(() => expect(onChange).toHaveBeenCalled());
    const [url, init] = fetch.mock.calls.find(([, i]) => i?.method === "POST")!;
    expect(url).toBe("/api/active-defense/block/203.0.113.7");
    expect(JSON.parse(String(init!.body))).toMatchObject({ duration: "24h" });
  });
});
