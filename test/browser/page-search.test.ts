// The page at `/` searching, in a real browser (Debian's chromium driven by playwright-core) against the real Worker
// (wrangler dev) serving a folder laid out as model/: the generated query-sparse model in `query/` and an index in
// `index/` built by the real builder, stored fields and all. What the page lists must be exactly what POST /search
// answers. The vectors are generated, not encoded: random weights, so the hits mean nothing — only their equality
// with the Worker's answer is asserted. Two documents hold every term of the vocabulary, the first with the heavier
// weight, so they are the first two hits of any query: the first has a `javascript:` url and a title written as HTML,
// the second an https url, so the test does not depend on which random documents the query finds.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../src/index/build.ts";
import { assetsFolder, startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";
import { ensureFixtureModels, FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { seededUniform } from "../../src/model/random.ts";

const CHROMIUM = "/usr/bin/chromium";
const WITH_INDEX = join(FIXTURE_ROOT, "assets", "page-search");
const WITHOUT_INDEX = join(FIXTURE_ROOT, "assets", "page-search-no-index");
const SCREENSHOTS = join(FIXTURE_ROOT, "screenshots");
const QUERY = "which planet is known as the red planet";
const DOCUMENTS = 600;
const VOCAB = 30522;
const FIRST_TERM = 1000;
const STORED = ["title", "url"];
const SCRIPT_URL = "javascript:alert(document.domain)";
const HTML_TITLE = '<img src=x onerror="alert(1)">Mars';
const MARS_URL = "https://example.org/mars?planet=4&colour=red";

/** The corpus: most documents have a title and an https url; some lack one, or have a url that is no http(s) link. */
function corpusRecord(d: number): Record<string, string> {
  if (d === 0) return { id: "doc-0", title: HTML_TITLE, url: SCRIPT_URL, text: "passage 0" };
  if (d === 1) return { id: "doc-1", title: "Mars, the red planet", url: MARS_URL, text: "passage 1" };
  const record: Record<string, string> = { id: `doc-${d}`, text: `passage ${d}` };
  if (d % 5 !== 0) record.title = `Document ${d}`;
  if (d % 3 === 0) record.url = d % 2 === 0 ? `data:text/html,document ${d}` : `/documents/${d}`;
  else record.url = `https://example.org/${d}`;
  return record;
}

/** The index: doc-0 and doc-1 hold every term (weights 3 and 2.9, the index's largest), the others 20–120 Zipf-like terms. */
async function buildSearchIndex(doc: string): Promise<void> {
  const work = join(FIXTURE_ROOT, "page-search");
  mkdirSync(work, { recursive: true });
  const u = seededUniform(21);
  const vectors: string[] = [];
  const corpus: string[] = [];
  const every = Array.from({ length: VOCAB }, (_, t) => t);
  for (let d = 0; d < DOCUMENTS; d++) {
    if (d < 2) {
      vectors.push(JSON.stringify({ id: `doc-${d}`, indices: every, values: every.map(() => (d === 0 ? 3 : 2.9)) }));
    } else {
      const terms = new Map<number, number>();
      const count = 20 + Math.floor(u() * 100);
      while (terms.size < count) terms.set(FIRST_TERM + Math.floor((VOCAB - FIRST_TERM) ** u()) - 1, Math.round((0.05 + u() * 2.5) * 1000) / 1000);
      vectors.push(JSON.stringify({ id: `doc-${d}`, indices: [...terms.keys()], values: [...terms.values()] }));
    }
    corpus.push(JSON.stringify(corpusRecord(d)));
  }
  writeFileSync(join(work, "vectors.jsonl"), `${vectors.join("\n")}\n`);
  writeFileSync(join(work, "corpus.jsonl"), `${corpus.join("\n")}\n`);
  await buildIndex({
    inputs: [join(work, "vectors.jsonl")],
    output: join(WITH_INDEX, "index"),
    model: doc,
    force: true,
    store: STORED,
    corpus: [join(work, "corpus.jsonl")],
    builder: { name: "splade-index", version: "test" },
  });
}

interface Found {
  hits: { id: string; score: number; fields?: Record<string, string> }[];
  documents: number;
}

/** A hit as the page shows it: its heading, its score's text, and its rows (name, text, the link's href and rel). */
interface Shown {
  heading: string;
  score: string;
  rows: { name: string; text: string; href: string | null; rel: string | null }[];
  images: number;
}

let indexed: WorkerServer | undefined;
let bare: WorkerServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
/** The bodies of the page's POST /search requests. */
const searches: unknown[] = [];

/**
 * The Worker's own answer to the page's search, asked as GET /search (the same search as POST): wrangler dev's proxy
 * answers a POST that meets a runtime restart with a 503 of its own ("Your worker restarted mid-request"), and sends a
 * GET again (wrangler 4.86 ProxyWorker). A restart comes when the index is removed, and the proxy also took one for a
 * restart once its inspector had relayed the thousands of messages of the model's first load.
 */
async function search(worker: WorkerServer, query: string): Promise<{ status: number; text: string }> {
  const response = await worker.fetch(`/search?${new URLSearchParams({ q: query, k: "10", fields: STORED.join(",") })}`);
  return { status: response.status, text: await response.text() };
}

async function shownHits(): Promise<Shown[]> {
  const shown: Shown[] = [];
  for (const li of await page.locator("#hits > li").all()) {
    const names = await li.locator("dt").allTextContents();
    const rows: Shown["rows"] = [];
    for (const [i, name] of names.entries()) {
      const dd = li.locator("dd").nth(i);
      const link = dd.locator("a");
      const linked = (await link.count()) > 0;
      rows.push({
        name,
        text: (await dd.textContent()) ?? "",
        href: linked ? await link.getAttribute("href") : null,
        rel: linked ? await link.getAttribute("rel") : null,
      });
    }
    shown.push({
      heading: (await li.locator("h3").textContent()) ?? "",
      score: (await li.locator(".score").textContent()) ?? "",
      rows,
      images: await li.locator("img").count(),
    });
  }
  return shown;
}

/** Types QUERY and submits it (Enter), then waits until the Documents panel has the answer (`state`) for it. */
async function searchFor(query: string, state = "done"): Promise<void> {
  const box = page.getByLabel("Query", { exact: true });
  await box.fill(query);
  await box.press("Enter");
  await page.locator(`#docs[data-state=${JSON.stringify(state)}][data-query=${JSON.stringify(query)}]`).waitFor();
}

beforeAll(async () => {
  const { models } = await ensureFixtureModels();
  const withIndex = await assetsFolder(models["query-sparse"], WITH_INDEX);
  await buildSearchIndex(models.doc);
  // One wrangler dev at a time: two starting together in one project folder collide on its local state
  // (workerd: "SQLite failed; database is locked: SQLITE_BUSY"). The second starts in its own describe.
  [indexed, browser] = await Promise.all([
    startWorker(withIndex),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    }),
  ]);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  page = await context.newPage();
  page.on("console", (message) => {
    // The 503 the last case causes is logged by the browser too; that one is expected.
    if (message.type() === "error" && !message.text().includes("status of 503")) pageErrors.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/search") searches.push(request.postDataJSON());
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([indexed?.stop(), bare?.stop()]);
});

describe("the page with a search index deployed", () => {
  it("lists POST /search's hits best first: ids, scores as sent, stored fields, the document count", async () => {
    const info = (await (await indexed!.fetch("/info")).json()) as { index: { stored: string[] } | null; index_problem?: string };
    expect(info.index?.stored).toEqual(STORED);
    expect(info.index_problem).toBeUndefined();
    await page.goto(`${indexed!.base}/`);
    await page.locator("#docs:not([hidden])").waitFor();
    await searchFor(QUERY);

    const expected = await search(indexed!, QUERY);
    expect(expected.status, expected.text).toBe(200);
    const found = JSON.parse(expected.text) as Found;
    expect(found.hits).toHaveLength(10);
    expect(found.hits.slice(0, 2).map((h) => h.id)).toEqual(["doc-0", "doc-1"]);
    // The scores as the Worker wrote them, read from its text, not re-serialized.
    const sentScores = [...expected.text.matchAll(/"score":([^,}]+)/g)].map((m) => m[1]);
    const shown = await shownHits();
    expect(shown.map((h) => h.score)).toEqual(sentScores);
    expect(
      shown.map((h) => ({ heading: h.heading, rows: h.rows.map(({ name, text }) => [name, text]) })),
      "each hit: its title as heading (else its id), then its id and its url",
    ).toEqual(
      found.hits.map(({ id, fields = {} }) => ({
        heading: fields.title ?? id,
        rows: [...(fields.title === undefined ? [] : [["id", id]]), ...(fields.url === undefined ? [] : [["url", fields.url]])],
      })),
    );
    expect(searches.at(-1)).toEqual({ query: QUERY, k: 10, fields: STORED });
    const meta = await page.locator("#docs-meta").textContent();
    expect(meta).toMatch(new RegExp(`^10 hits of ${found.documents.toLocaleString("en")} documents · search [0-9.]+ ms$`));
    expect(found.documents).toBe(DOCUMENTS);
  });

  it("makes a stored url a link only when it is http(s), and writes titles as text", async () => {
    const shown = await shownHits();
    const [script, mars] = shown;
    expect(script.heading).toBe(HTML_TITLE);
    expect(script.images).toBe(0);
    expect(script.rows.find((r) => r.name === "url")).toEqual({ name: "url", text: SCRIPT_URL, href: null, rel: null });
    expect(mars.rows.find((r) => r.name === "url")).toEqual({ name: "url", text: MARS_URL, href: MARS_URL, rel: "noopener noreferrer" });
    for (const { rows } of shown) {
      const url = rows.find((r) => r.name === "url");
      if (url) expect(url.href, url.text).toBe(/^https?:\/\//.test(url.text) ? url.text : null);
    }
    // Reached from the keyboard: the first link after the query box is doc-1's.
    await page.getByLabel("Query", { exact: true }).focus();
    const focused: string[] = [];
    for (let i = 0; i < 12 && !focused.includes(MARS_URL); i++) {
      await page.keyboard.press("Tab");
      focused.push(await page.evaluate<string>("document.activeElement.getAttribute('href') ?? document.activeElement.id"));
    }
    expect(focused).toContain(MARS_URL);
    expect(focused).not.toContain(SCRIPT_URL);
  });

  it("says that the index's document weights are random too", async () => {
    const banner = (await page.locator("#banner").textContent()) ?? "";
    expect(banner).toContain("Random weights: ");
    expect(banner).toContain("Random document weights: ");
  });

  it("looks right in light and dark", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "page-search-light.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(SCREENSHOTS, "page-search-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    expect(await page.locator("#hits > li").count()).toBe(10);
  });

  it("shows /search's error as it shows /encode's when the index is gone, and still the terms", async () => {
    rmSync(join(WITH_INDEX, "index"), { recursive: true, force: true });
    // wrangler dev reloads when its assets change: wait until the Worker answers without the index.
    let gone = await search(indexed!, QUERY);
    for (let tries = 0; gone.status === 200 && tries < 300; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      gone = await search(indexed!, QUERY);
    }
    expect(gone.status, gone.text).toBe(503);
    const { error, error_type } = JSON.parse(gone.text) as { error: string; error_type: string };
    expect(error_type).toBe("index_unavailable");

    await searchFor("red planet", "error");
    expect(await page.locator("#error strong").textContent()).toBe(error);
    expect(await page.locator("#error").textContent()).toContain("503 index_unavailable");
    expect(await page.locator("#hits > li").count()).toBe(0);
    await page.locator(`#results[data-state="done"][data-query="red planet"]`).waitFor();
    expect(await page.locator("#bars li").count()).toBeGreaterThan(0);
  });

  it("ran without a console error or CSP violation", () => {
    expect(pageErrors).toEqual([]);
  });
});

describe("the page without an index it can search", () => {
  /** Opens the page on `bare` with QUERY; resolves once /encode's terms are shown, with the paths the page requested. */
  async function openBare(): Promise<{ tab: Page; sent: string[] }> {
    const tab = await context.newPage();
    const sent: string[] = [];
    tab.on("request", (request) => sent.push(new URL(request.url()).pathname));
    await tab.goto(`${bare!.base}/?q=${encodeURIComponent(QUERY)}`);
    await tab.locator(`#results[data-state="done"][data-query=${JSON.stringify(QUERY)}]`).waitFor();
    return { tab, sent };
  }

  it("shows no Documents panel and sends no /search when no index is deployed", async () => {
    const { models } = await ensureFixtureModels();
    const withoutIndex = await assetsFolder(models["query-sparse"], WITHOUT_INDEX);
    rmSync(join(WITHOUT_INDEX, "index"), { recursive: true, force: true });
    bare = await startWorker(withoutIndex);
    const info = (await (await bare.fetch("/info")).json()) as { index: unknown; index_problem?: string };
    expect(info.index).toBeNull();
    expect(info.index_problem).toMatch(/index\.json is missing/);
    const { tab, sent } = await openBare();
    expect(await tab.locator("#docs").isHidden()).toBe(true);
    expect(await tab.locator("#search-off").isHidden()).toBe(true);
    expect(await tab.getByRole("button", { name: "Encode" }).isVisible()).toBe(true);
    expect(sent).toContain("/encode");
    expect(sent).not.toContain("/search");
    expect(await tab.locator("#banner").textContent()).not.toContain("Random document weights");
    await tab.close();
  });

  it("says why it does not search an index whose documents do not pair with the query model", async () => {
    // The same generated doc model, recorded as a catalogue model's: the served query model (outside the catalogue)
    // cannot be told to pair with it, so /search answers 503 and /info says why.
    const { models } = await ensureFixtureModels();
    const other = join(FIXTURE_ROOT, "page-search", "catalogue-doc");
    mkdirSync(other, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(models.doc, "manifest.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(other, "manifest.json"), JSON.stringify({ ...manifest, model: "naver/efficient-splade-VI-BT-large" }));
    await buildIndex({
      inputs: [join(FIXTURE_ROOT, "page-search", "vectors.jsonl")],
      output: join(WITHOUT_INDEX, "index"),
      model: other,
      force: true,
      builder: { name: "splade-index", version: "test" },
    });
    // wrangler dev reloads when its assets change: wait until /info describes the index.
    let info = { index: null as unknown, index_problem: undefined as string | undefined };
    for (let tries = 0; info.index === null && tries < 300; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      info = (await (await bare!.fetch("/info")).json()) as typeof info;
    }
    expect(info.index).not.toBeNull();
    expect(info.index_problem).toMatch(/only one of them is a catalogue model/);
    const { tab, sent } = await openBare();
    expect(await tab.locator("#search-off").textContent()).toBe(`Search is off: ${info.index_problem}`);
    expect(await tab.locator("#docs").isHidden()).toBe(true);
    expect(sent).not.toContain("/search");
    await tab.close();
  });
});
