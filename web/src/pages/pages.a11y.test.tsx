// Every page renders from API data and passes axe; the events drawer is keyboard-operable.
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import { App } from "../App";
import { setToken } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import { expectNoAxeViolations } from "../test/axe";
import { IP, SESSION_ID, pageRoutes } from "../test/fixtures";
import { stubEventSource, stubFetch } from "../test/helpers";

function mount(path: string) {
  stubEventSource();
  stubFetch(pageRoutes);
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <App />
      </AuthProvider>
    </MemoryRouter>,
  );
}

// Lazy pages load their chunk first: a generous deadline (a condition, not a speed).
const WAIT = { timeout: 8000 };
const PAGES: [string, string, () => Promise<unknown>][] = [
  ["/", "overview", () => screen.findByText("Top attackers", {}, WAIT)],
  ["/map", "attack map", () => screen.findByText(/located sources/, {}, WAIT)],
  ["/events", "events", () => screen.findAllByTestId("event-row", {}, WAIT)],
  ["/attackers", "attackers", () => screen.findByText("42", {}, WAIT)],
  [`/attackers/${IP}`, "attacker", () => screen.findByTestId("commands", {}, WAIT)],
  [`/sessions/${SESSION_ID}`, "session", () => screen.findByText("Replay", {}, WAIT)],
  ["/detections", "detections", () => screen.findAllByTestId("detection-row", {}, WAIT)],
];

describe("pages", () => {
  beforeEach(() => setToken("tok"));

  for (const [path, name, loaded] of PAGES) {
    it(`the ${name} page (${path}) has no axe violations`, async () => {
      mount(path);
      await loaded();
      await screen.findByTestId("role"); // /api/me answered: admin controls are shown too
      await expectNoAxeViolations();
    });
  }

  it("the sign-in page has no axe violations", async () => {
    setToken(null);
    stubEventSource();
    stubFetch(() => ({ status: 401, body: { title: "Unauthorized", status: 401, detail: "missing" } }));
    render(
      <MemoryRouter>
        <AuthProvider>
          <App />
        </AuthProvider>
      </MemoryRouter>,
    );
    await screen.findByLabelText("API token");
    await expectNoAxeViolations();
  });

  it("the detections page keeps long evidence inside its cell", async () => {
    mount("/detections");
    const [row] = await screen.findAllByTestId("detection-row", {}, WAIT);
    const packet = Array.from(row.querySelectorAll("[data-testid=evidence] span[title]")).find((e) =>
      e.getAttribute("title")?.startsWith("packet:"),
    );
    expect(packet?.className).toContain("truncate");
    expect(row.textContent).toContain("http_attacks"); // which detector raised it
  });

  it("the detections page shows each verification and the paths' health", async () => {
    mount("/detections");
    const verdict = await screen.findByTestId("verification", {}, WAIT);
    expect(verdict.textContent).toContain("verified: attack confirmed · HIGH");
    expect(verdict.textContent).toContain("observed-on-wire");
    const paths = await screen.findByTestId("verify-paths", {}, WAIT);
    expect(paths.textContent).toContain("p0-dns");
    expect(paths.textContent).toContain("12 ms");
    expect((await screen.findByTestId("path-error", {}, WAIT)).textContent).toContain("REFUSED");
    await expectNoAxeViolations();
  });
});

describe("events drawer, by keyboard", () => {
  beforeEach(() => setToken("tok"));

  it("opens from the row's button, takes focus, traps Tab, closes on Escape and gives focus back", async () => {
    mount("/events");
    const buttons = await screen.findAllByTestId("event-open", {}, WAIT);
    const opener = buttons[0];
    opener.focus();
    // A native button: Enter/Space activate it as a click.
    act(() => opener.click());
    const dialog = await screen.findByRole("dialog", {}, WAIT);
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    await waitFor(() => expect(dialog.contains(document.activeElement)).toBe(true));
    await screen.findByText("Raw event");
    await expectNoAxeViolations();

    // Tab from the last focusable element wraps to the first, Shift+Tab the other way.
    const focusables = Array.from(dialog.querySelectorAll<HTMLElement>("a[href], button"));
    const first = focusables[0];
    const last = focusables[focusables.length - 1];
    last.focus();
    fireEvent.keyDown(document, { key: "Tab" });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(document, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(last);

    fireEvent.keyDown(document, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() => expect(document.activeElement?.id).toBe(opener.id));
  });
});
