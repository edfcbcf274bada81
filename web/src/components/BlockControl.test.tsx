// The admin block / unblock control against a scripted API (real fetch calls, real DOM).
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setToken } from "../api/client";
import type { BlockItem } from "../api/types";
import { AuthProvider } from "../auth/AuthContext";
import { expectNoAxeViolations } from "../test/axe";
import { stubFetch } from "../test/helpers";
import { BlockControl } from "./BlockControl";

const IP = "203.0.113.7";
const BLOCK: BlockItem = {
  id: 1, target: IP, source: "manual", reason: "r", created_at: "2026-11-21T07:00:00Z",
  expires_at: "2026-11-21T08:00:00Z", active: true, offence: 1, removed_at: null, applied: true, backend: "nftables",
};

function mount(role: "admin" | "viewer", block: BlockItem | null, answer = { status: 200, body: BLOCK as unknown }) {
  const fetch = stubFetch((url, init) => {
    if (url === "/api/me") return { status: 200, body: { role, auth: "on" } };
    if (url === `/api/active-defense/block/${IP}`) return init?.method === "POST" || init?.method === "DELETE" ? answer : undefined;
    return undefined;
  });
  const onChange = vi.fn();
  render(
    <MemoryRouter>
      <AuthProvider>
        <main>
          <BlockControl ip={IP} block={block} onChange={onChange} />
        </main>
      </AuthProvider>
    </MemoryRouter>,
  );
  return { fetch, onChange };
}

function calls(fetch: ReturnType<typeof stubFetch>, method: string) {
  return fetch.mock.calls.filter(([u, init]) => String(u).includes("/active-defense/") && init?.method === method);
}

describe("BlockControl", () => {
  beforeEach(() => setToken("tok"));

  it("is not shown to a viewer", async () => {
    const { fetch } = mount("viewer", null);
    await waitFor(() => expect(fetch.mock.calls.some(([u]) => u === "/api/me")).toBe(true));
    await waitFor(() => expect(screen.queryByTestId("block-control")).toBeNull());
  });

  it("blocks for the chosen duration as admin and reports the change", async () => {
    const { fetch, onChange } = mount("admin", null);
    await screen.findByTestId("block-control");
    await expectNoAxeViolations();
    fireEvent.change(screen.getByLabelText("Block duration"), { target: { value: "6h" } });
    fireEvent.click(screen.getByRole("button", { name: `Block ${IP}` }));
    await waitFor(() => expect(onChange).toHaveBeenCalledTimes(1));
    const [[, init]] = calls(fetch, "POST");
    expect(JSON.parse(String(init?.body))).toEqual({ duration: "6h", reason: "blocked from the dashboard" });
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer tok");
  });

  it("unblocks an active block and says when a block is not enforced", async () => {
    const { fetch, onChange } = mount("admin", { ...BLOCK, applied: false, backend: "dry-run" });
    const control = await screen.findByTestId("block-control");
    expect(control.textContent).toContain("(dry-run)");
    fireEvent.click(screen.getByRole("button", { name: "Unblock" }));
    await waitFor(() => expect(onChange).toHaveBeenCalledTimes(1));
    expect(calls(fetch, "DELETE")).toHaveLength(1);
  });

  it("shows the API's refusal and does not report a change", async () => {
    const refused = { status: 422, body: { title: "Invalid input", status: 422, detail: "cannot block a protected address" } };
    const { onChange } = mount("admin", null, refused);
    await screen.findByTestId("block-control");
    fireEvent.click(screen.getByRole("button", { name: `Block ${IP}` }));
    expect((await screen.findByRole("alert")).textContent).toContain("cannot block a protected address");
    expect(onChange).not.toHaveBeenCalled();
  });
});
