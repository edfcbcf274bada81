// End-to-end walk of the dashboard against a running `phantomnet up` (driven by
// tests/e2e/test_dashboard.py). Protocol on stdio: prints "READY" once signed in with the live
// stream connected, then waits for a line "ATTACKED" on stdin (the test has attacked the
// honeypot with real clients meanwhile), then checks the attack shows up live WITHOUT a reload,
// opens the attacker page, replays the SSH session, and prints "RESULT <json>".
//
// Env: PN_URL, PN_TOKEN, PN_MARKER (a unique word the SSH commands contain), PN_ARTIFACTS
// (screenshot dir), PN_TIMEOUT_MS (per step, default 30000).
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { launch } from "./browser.mjs";

const URL_ = process.env.PN_URL;
const TOKEN = process.env.PN_TOKEN;
const MARKER = process.env.PN_MARKER;
const OUT = process.env.PN_ARTIFACTS ?? "test-artifacts";
const STEP = Number(process.env.PN_TIMEOUT_MS ?? 30000);
if (!URL_ || !TOKEN || !MARKER) throw new Error("PN_URL, PN_TOKEN and PN_MARKER are required");
mkdirSync(OUT, { recursive: true });

const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));
const result = { steps: [], pageErrors: [], cspViolations: [] };
const t0 = Date.now();
const step = (name) => result.steps.push({ name, ms: Date.now() - t0 });

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: name !== "overview" });
}

async function signIn(page) {
  await page.goto(`${URL_}/`);
  await page.getByLabel("API token").waitFor({ timeout: STEP });
  await shot(page, "01-sign-in");
  await page.getByLabel("API token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor({ timeout: STEP });
  await page.getByTestId("stream-status").filter({ hasText: "live" }).waitFor({ timeout: STEP });
  result.role = await page.getByTestId("role").innerText();
  step("signed-in, stream live");
}

async function seeLiveAttack(page) {
  // A marker that a reload would wipe: proves the rows arrive over SSE, not by reloading.
  await page.evaluate(() => (window.__pnNoReload = true));
  process.stdout.write("READY\n");
  const answer = await nextLine();
  if (answer.trim() !== "ATTACKED") throw new Error(`unexpected line from the test: ${answer}`);
  const row = page.getByTestId("live-row").filter({ hasText: MARKER }).first();
  await row.waitFor({ timeout: STEP });
  result.noReload = await page.evaluate(() => window.__pnNoReload === true);
  if (!result.noReload) throw new Error("the page reloaded");
  result.liveRowText = (await row.innerText()).replace(/\s+/g, " ");
  step("attack seen live");
  await page.getByTestId("kpi-events").filter({ hasNotText: "…" }).waitFor({ timeout: STEP });
  await shot(page, "02-overview");
  return row;
}

async function attackerPage(page, row) {
  await row.getByRole("link").first().click();
  await page.getByTestId("attacker-ip").waitFor({ timeout: STEP });
  result.attackerIp = await page.getByTestId("attacker-ip").innerText();
  // The writer stores within a fraction of a second; the page refreshes itself, but allow a
  // reload here in case the first fetch raced the writer.
  const deadline = Date.now() + STEP;
  while (!(await page.getByTestId("commands").filter({ hasText: MARKER }).count())) {
    if (Date.now() > deadline) throw new Error("attacker page never listed the commands");
    await page.waitForTimeout(1000);
    await page.reload();
    await page.getByTestId("attacker-ip").waitFor({ timeout: STEP });
  }
  result.blockControlShown = (await page.getByTestId("block-control").count()) > 0;
  step("attacker page");
  await shot(page, "03-attacker");
}

async function replay(page) {
  const link = page.getByTestId("sessions").getByRole("link", { name: "▶ replay" }).first();
  const deadline = Date.now() + STEP;
  while (!(await link.count())) {
    if (Date.now() > deadline) throw new Error("no session with a recording on the attacker page");
    await page.waitForTimeout(1000);
    await page.reload();
  }
  await link.click();
  const player = page.getByTestId("replay");
  await player.filter({ hasText: MARKER }).waitFor({ timeout: STEP });
  result.replayText = (await player.innerText()).split("\n").filter((l) => l.trim()).slice(0, 60);
  step("session replayed");
  await shot(page, "04-replay");
}

async function otherPages(page) {
  await page.goto(`${URL_}/events?kind=command.input`);
  const row = page.getByTestId("event-row").filter({ hasText: MARKER }).first();
  await row.waitFor({ timeout: STEP });
  // By keyboard: the row's button opens the drawer, focus moves in, Escape closes it and
  // focus returns to the button.
  const opener = row.getByTestId("event-open");
  await opener.focus();
  const openerId = await opener.getAttribute("id");
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog").filter({ hasText: MARKER });
  await dialog.waitFor({ timeout: STEP });
  result.drawerHasFocus = await dialog.evaluate((d) => d.contains(document.activeElement));
  await shot(page, "05-events-drawer");
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached", timeout: STEP });
  await page.waitForFunction((id) => document.activeElement?.id === id, openerId, { timeout: STEP });
  result.focusReturned = true;
  for (const [path, name] of [["/detections", "06-detections"], ["/map", "07-map"], ["/attackers", "08-attackers"]]) {
    await page.goto(`${URL_}${path}`);
    await page.getByRole("heading", { level: 1 }).waitFor({ timeout: STEP });
    await page.waitForLoadState("networkidle").catch(() => {});
    if (name === "07-map") result.mapDrawn = (await page.locator("svg[aria-label='Attack map'] path").count()) > 0;
    await shot(page, name);
  }
  step("events, detections, map");
}

const { browser, close } = await launch();
let code = 0;
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on("pageerror", (e) => result.pageErrors.push(e.message));
  // CSP violations: Chromium logs them to the console; the DOM event catches the rest.
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) result.cspViolations.push(m.text());
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  await signIn(page);
  const row = await seeLiveAttack(page);
  await attackerPage(page, row);
  await replay(page);
  await otherPages(page);
} catch (err) {
  code = 1;
  result.error = String(err?.stack ?? err);
  if (page) await page.screenshot({ path: join(OUT, "failure.png"), fullPage: true }).catch(() => {});
} finally {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  lines.close();
  await close();
}
process.exit(code);
