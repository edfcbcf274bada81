// Browser-side figures of the dashboard (run by bench/dashboard_bench.py).
//   node bench/dashboard/bench.mjs load   URL TOKEN RUNS   -> cold loads of the overview
//   node bench/dashboard/bench.mjs stream URL TOKEN SECONDS -> live feed under load
// Prints one JSON line. Uses playwright-core from web/node_modules and Debian's Chromium.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL("../../web/", import.meta.url));
const { launch } = await import(new URL("e2e/browser.mjs", `file://${web}`).href);
createRequire(web + "package.json"); // fail early if web/ is missing

const [mode, url, token, arg] = process.argv.slice(2);

// Installed before any page script: long tasks and frame intervals, from navigation start.
function probe() {
  window.__pn = { longTasks: [], frames: [], marks: {} };
  // The first moment the KPIs show data and the moment the stream turns live.
  const mark = (name, ok) => ok && !(name in window.__pn.marks) && (window.__pn.marks[name] = performance.now());
  new MutationObserver(() => {
    const k = document.querySelector('[data-testid="kpi-events"]');
    mark("kpi", k && !k.textContent.includes("…"));
    const s = document.querySelector('[data-testid="stream-status"]');
    mark("live", s && s.textContent.includes("live"));
  }).observe(document, { subtree: true, childList: true, characterData: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__pn.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  let last = performance.now();
  const tick = (t) => {
    window.__pn.frames.push(t - last);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function page(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript((t) => sessionStorage.setItem("phantomnet.token", t), token);
  await context.addInitScript(probe);
  return { context, page: await context.newPage() };
}

const ready = (sel, text) =>
  `(() => { const el = document.querySelector('[data-testid="${sel}"]');` +
  ` return el && ${text} ? performance.now() : false; })()`;

async function loadOnce(browser) {
  const { context, page: p } = await page(browser);
  await p.goto(`${url}/`);
  await p.waitForFunction(() => "kpi" in window.__pn.marks && "live" in window.__pn.marks, null, { timeout: 30000 });
  const { kpi, live } = await p.evaluate(() => window.__pn.marks);
  await p.waitForTimeout(1500); // let charts and late chunks settle, then read the long tasks
  const m = await p.evaluate(() => {
    const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null;
    const res = performance.getEntriesByType("resource");
    const bytes = res.filter((r) => /\.(js|css)$/.test(r.name)).reduce((s, r) => s + r.transferSize, 0);
    const api = res.filter((r) => r.name.includes("/api/stats")).map((r) => r.responseEnd - r.startTime);
    return { fcp, longTasks: window.__pn.longTasks, bytes, statsMs: api[0] ?? null };
  });
  const lastLong = m.longTasks.filter(([s]) => s < kpi + 1000).reduce((e, [s, d]) => Math.max(e, s + d), 0);
  await context.close();
  // interactive: feed connected and no long task since; kpi: /api/stats data on screen.
  return {
    fcp_ms: m.fcp, kpi_ms: kpi, stream_live_ms: live, interactive_ms: Math.max(live, lastLong),
    tti_with_kpis_ms: Math.max(kpi, live, lastLong),
    long_tasks: m.longTasks.length, long_task_list: m.longTasks.map(([s, d]) => [Math.round(s), Math.round(d)]),
    js_css_transfer_bytes: m.bytes, stats_api_ms: m.statsMs,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

async function load(browser, runs) {
  const all = [];
  for (let i = 0; i < runs; i++) {
    // The API caches /api/stats for 5 s: wait it out so every load is a cold one.
    await new Promise((r) => setTimeout(r, 6000));
    all.push(await loadOnce(browser));
  }
  const keys = Object.keys(all[0]).filter((k) => typeof all[0][k] === "number");
  return { runs: all, median: Object.fromEntries(keys.map((k) => [k, median(all.map((r) => r[k]))])) };
}

async function stream(browser, seconds) {
  const { context, page: p } = await page(browser);
  await p.goto(`${url}/`);
  await p.waitForFunction(ready("stream-status", "el.textContent.includes('live')"), null, { timeout: 30000 });
  await p.waitForTimeout(2000);
  const total = () => p.evaluate(() => Number(document.querySelector('[data-testid="stream-total"]').textContent.replace(/,/g, "")));
  await p.evaluate(() => { window.__pn.longTasks = []; window.__pn.frames = []; });
  const before = await total();
  const t0 = Date.now();
  // Input latency while the feed runs: time from a click until the button text changed.
  const clicks = [];
  for (let i = 0; i < 4; i++) {
    await p.waitForTimeout((seconds * 1000) / 5);
    clicks.push(await p.evaluate(() => new Promise((resolve) => {
      const b = [...document.querySelectorAll("button")].find((x) => /Pause|Resume/.test(x.textContent));
      const start = performance.now();
      const before = b.textContent;
      b.click();
      const check = () => (b.textContent !== before ? resolve(performance.now() - start) : requestAnimationFrame(check));
      requestAnimationFrame(check);
    })));
  }
  await p.waitForTimeout((seconds * 1000) / 5);
  const secs = (Date.now() - t0) / 1000;
  const after = await total();
  const m = await p.evaluate(() => ({ frames: window.__pn.frames, longTasks: window.__pn.longTasks, rows: document.querySelectorAll('[data-testid="live-row"]').length }));
  await context.close();
  const longest = m.longTasks.reduce((x, [, d]) => Math.max(x, d), 0);
  return {
    seconds: secs, received: after - before, received_per_s: (after - before) / secs,
    rows_rendered: m.rows, frames: m.frames.length, fps: m.frames.length / secs,
    frame_p50_ms: pct(m.frames, 0.5), frame_p95_ms: pct(m.frames, 0.95), frame_max_ms: pct(m.frames, 1),
    long_tasks: m.longTasks.length, long_task_max_ms: longest,
    long_task_total_ms: m.longTasks.reduce((s, [, d]) => s + d, 0), click_to_paint_ms: clicks,
  };
}

const { browser, close } = await launch();
try {
  const out = mode === "load" ? await load(browser, Number(arg ?? 5)) : await stream(browser, Number(arg ?? 10));
  process.stdout.write(JSON.stringify(out) + "\n");
} finally {
  await close();
}
