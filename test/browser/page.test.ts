// The page at `/` in a real browser: Debian's chromium driven by playwright-core against the real Worker (wrangler
// dev on the generated random-weights model). What the page shows must be exactly what /encode answers. It answers
// after a round trip to wrangler dev, slower on a busy machine: the test waits with Playwright's waitFor (until the
// test's timeout), not expect.poll (which gives up after 1 s).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoAssets, startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";

const CHROMIUM = "/usr/bin/chromium";
const ASSETS = await demoAssets();
const SCREENSHOT = "test/.generated/screenshots/page.png";
const QUERY = "which planet is known as the red planet";
const TOP_K = 12;

interface Info {
  random_weights: boolean;
  warning?: string;
  formats: { name: string; requires: string[]; accepts: string[] }[];
}

let worker: WorkerServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions of the page (a CSP violation is reported as a console error). */
const pageErrors: string[] = [];

async function encode(body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const response = await worker!.fetch(`/encode`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

/** A terms answer's map in the order sent, weights as written: [[term, "0.301201"], …]. */
function orderedTerms(body: string): [string, string][] {
  const start = body.indexOf('"terms":{') + '"terms":{'.length;
  const pairs: [string, string][] = [];
  const pair = /"((?:[^"\\]|\\.)*)":(-?[0-9][0-9.eE+-]*)[,}]/y;
  pair.lastIndex = start;
  for (let m: RegExpExecArray | null; (m = pair.exec(body)); ) pairs.push([JSON.parse(`"${m[1]}"`) as string, m[2]]);
  return pairs;
}

/** JSON text without the whitespace between its tokens. */
function compactJson(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|\s+/g, (m) => (m.startsWith('"') ? m : ""));
}

/** Waits until the page has shown its answer (`state`: done or error) for QUERY in `format`. */
async function settled(format: string, state = "done"): Promise<void> {
  const attributes = { state, format, query: QUERY };
  await page
    .locator(
      `#results${Object.entries(attributes)
        .map(([k, v]) => `[data-${k}=${JSON.stringify(v)}]`)
        .join("")}`,
    )
    .waitFor();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the page test drives Debian's chromium — install it (as root): apt-get update && apt-get install -y --no-install-recommends chromium`,
    );
  }
  [worker, browser] = await Promise.all([
    startWorker(ASSETS),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    }),
  ]);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.base });
  page = await context.newPage();
  page.on("console", (message) => {
    // The 422 the last case asks for is logged by the browser too; that one is expected.
    if (message.type() === "error" && !message.text().includes("status of 422")) pageErrors.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

describe("the page at /", () => {
  it("is one HTML document whose CSP allows its own inline script and style by hash, and nothing else", async () => {
    const response = await worker!.fetch(`/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const html = await response.text();
    const csp = response.headers.get("content-security-policy")!;
    const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(scripts[0])};`);
    expect(csp).toContain(`style-src ${hash(styles[0])};`);
    expect(csp).toContain("connect-src 'self'");
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });

  it("shows the random-weights warning from /info as a banner", async () => {
    const info = (await (await worker!.fetch(`/info`)).json()) as Info;
    expect(info.random_weights).toBe(true);
    await page.goto(`${worker!.base}/`);
    const banner = page.locator("#banner");
    await banner.waitFor();
    expect(await banner.textContent()).toContain(info.warning!);
  });

  it("shows the query's terms as bars, heaviest first, with exactly /encode's terms and weights", async () => {
    await page.getByLabel("Top k", { exact: true }).fill(String(TOP_K));
    await page.getByLabel("Query", { exact: true }).pressSequentially(QUERY);
    await settled("terms");

    const terms = await page.locator("#bars li .term").allTextContents();
    const shownWeights = await page.locator("#bars li .w").allTextContents();
    const shown = terms.map((term, i): [string, string] => [term, shownWeights[i]]);
    const expected = await encode({ query: QUERY, format: "terms", top_k: TOP_K });
    expect(expected.status, expected.text).toBe(200);
    expect(shown).toHaveLength(TOP_K);
    expect(shown).toEqual(orderedTerms(expected.text));
    // The same map as JSON.parse reads it (order aside), and heaviest first.
    const parsed = (JSON.parse(expected.text) as { terms: Record<string, number> }).terms;
    expect(Object.fromEntries(shown.map(([t, w]) => [t, Number(w)]))).toEqual(parsed);
    const weights = shown.map(([, w]) => Number(w));
    expect(weights).toEqual(weights.toSorted((a, b) => b - a));
    const widths: number[] = [];
    for (const fill of await page.locator("#bars .bar > span").all()) widths.push((await fill.boundingBox())!.width);
    expect(widths).toEqual(widths.toSorted((a, b) => b - a));
    expect(widths[0]).toBeGreaterThan(widths[widths.length - 1]);
  });

  it("offers every query format from /info, with a field input exactly for those that take a field", async () => {
    const info = (await (await worker!.fetch(`/info`)).json()) as Info;
    const select = page.getByLabel("Format", { exact: true });
    const offered = await Promise.all((await select.locator("option").all()).map((option) => option.getAttribute("value")));
    expect(offered).toEqual(info.formats.map((f) => f.name));
    for (const format of info.formats) {
      await select.selectOption(format.name);
      const takesField = format.requires.includes("field") || format.accepts.includes("field");
      expect(await page.locator("#field-box").isVisible(), format.name).toBe(takesField);
      await settled(format.name);
    }
  });

  it("shows elasticsearch's exact body, pretty-printed, and copies it", async () => {
    await page.getByLabel("Format", { exact: true }).selectOption("elasticsearch");
    expect(await page.getByLabel(/^Field/).inputValue()).toBe("splade");
    await settled("elasticsearch");

    const shown = (await page.locator("#body").textContent())!;
    const expected = await encode({ query: QUERY, format: "elasticsearch", field: "splade", top_k: TOP_K });
    expect(expected.status, expected.text).toBe(200);
    expect(shown.split("\n").length).toBeGreaterThan(TOP_K);
    expect(compactJson(shown)).toBe(expected.text);
    expect(JSON.parse(shown)).toEqual(JSON.parse(expected.text));

    await page.getByRole("button", { name: "Copy" }).click();
    await page.locator("#copied", { hasText: /^Copied$/ }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(shown);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("shows /encode's error message when the request is refused", async () => {
    await page.getByLabel("Format", { exact: true }).selectOption("opensearch");
    await page.getByLabel(/^Field/).fill("");
    await settled("opensearch", "error");
    const expected = await encode({ query: QUERY, format: "opensearch", top_k: TOP_K });
    expect(expected.status).toBe(422);
    const { error } = JSON.parse(expected.text) as { error: string };
    const box = page.locator("#error");
    expect(await box.isVisible()).toBe(true);
    expect(await box.locator("strong").textContent()).toBe(error);
    expect(await box.textContent()).toContain("422 validation");
  });

  it("ran without a console error or CSP violation", () => {
    expect(pageErrors).toEqual([]);
  });
});

describe("the page with API keys on", () => {
  const KEY = "page-test-key";
  let keyed: WorkerServer | undefined;
  afterAll(async () => {
    await keyed?.stop();
  });

  it("asks for the key on /info's 401, then encodes with it (Authorization: Bearer), kept for the tab", async () => {
    keyed = await startWorker(ASSETS, { vars: { SPLADE_API_KEYS: KEY } });
    const tab = await context.newPage();
    await tab.goto(`${keyed.base}/?q=${encodeURIComponent(QUERY)}&top_k=${TOP_K}`);
    const keyBox = tab.locator("#key-box");
    await keyBox.waitFor();
    expect(await tab.locator("#error strong").textContent()).toBe("this endpoint needs an API key: send Authorization: Bearer KEY");

    await tab.getByLabel("API key", { exact: true }).fill(KEY);
    await tab.getByLabel("API key", { exact: true }).press("Enter");
    await tab.locator(`#results[data-state="done"][data-format="terms"]`).waitFor();
    const shown = await tab.locator("#bars li .term").allTextContents();
    const expected = await keyed.fetch(`/encode`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query: QUERY, format: "terms", top_k: TOP_K }),
    });
    expect(shown).toEqual(orderedTerms(await expected.text()).map(([term]) => term));
    expect(await tab.evaluate("sessionStorage.getItem('splade-edge-key')")).toBe(KEY);
    await tab.close();
  });
});
