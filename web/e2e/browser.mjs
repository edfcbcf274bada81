// Launch Debian's Chromium through playwright-core (never a downloaded browser).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.PN_CHROMIUM ?? "/usr/bin/chromium";

/** Start a headless Chromium; returns {browser, close}. playwright-core gives every launch a
 * fresh temporary profile (its own --user-data-dir), removed on close. */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** A page whose sessionStorage already holds `token` (skips the sign-in form). */
export async function signedInPage(browser, token, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  await context.addInitScript((t) => sessionStorage.setItem("phantomnet.token", t), token);
  return { context, page: await context.newPage() };
}
