// The page at `/`: type a query, see its SPLADE terms as weighted bars (heaviest first, the weights as sent) and the
// exact body /encode answers in any query format, with a copy button; when a search index is deployed (GET /info's
// `index`, and no `index_problem`), also the query's ten best documents from POST /search, with their stored fields.
// One self-contained HTML document — inline CSS and JS, no CDN, no external request, works offline — that calls only
// the same-origin GET /info, POST /encode and POST /search.
// Its Content-Security-Policy lets exactly its own inline <style> and <script> run, by their SHA-256 hashes
// (computed once per isolate from the strings below), and nothing else: no other script, style, frame or origin.
//
// The script is page/client.ts, a TypeScript function checked with the DOM's types (its own tsconfig) and linted;
// the page embeds its source as compiled with this module, `(client)()`. Whatever compiles the Worker compiles it —
// wrangler's esbuild for `wrangler dev` and deploys, Vite's for @cloudflare/vitest-pool-workers — so there is no
// build step of its own that one of those flows could skip or run stale. (The other way, a bundle of client.ts
// imported through a wrangler `Text` rule, needs that step: vitest-pool-workers does not run wrangler's `[build]`.)
// wrangler 4.86 bundles with esbuild's keepNames (its default; wrangler.toml `keep_names`), which wraps the function's
// named inner functions in calls to esbuild 0.27's module-level helper, `__name(fn, "fn")`: the page defines that
// helper as the identity (Vite's transform adds no such calls: there it goes unused). Minifying the Worker
// (wrangler's `minify`) would rename the helper and break the script: test/browser/page.test.ts, which runs the page
// under `wrangler dev` with this wrangler.toml, fails then, as it does without the helper.
import type { Env, Hono, Schema } from "hono";
import { client } from "./page/client.ts";

const STYLE = `
:root{--bg:#f6f6f4;--panel:#fff;--fg:#1d1f22;--muted:#5e636a;--line:#dddfe2;--accent:#2a56c6;--track:#eaecf0;--code:#f8f8f7;
--warn-bg:#fff5d9;--warn-fg:#553c00;--warn-line:#e3c266;--err-bg:#fdeeee;--err-fg:#8b1d1d;--err-line:#e9a9a9;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#131416;--panel:#1b1d20;--fg:#e7e8ea;--muted:#9ca2aa;--line:#30333a;--accent:#7ea4ff;
--track:#272b31;--code:#16181b;--warn-bg:#372c0c;--warn-fg:#f4dc9c;--warn-line:#6d5819;--err-bg:#3a1717;--err-fg:#f4b8b8;--err-line:#702c2c}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:76rem;margin:0 auto;padding:1.5rem 1.25rem 2.5rem}
header{display:flex;align-items:baseline;gap:.75rem;flex-wrap:wrap;margin-bottom:1rem}
h1{font-size:1.25rem;margin:0;letter-spacing:-.01em}
h2{font-size:.9375rem;margin:0}
h3{font-size:1rem;margin:0;font-weight:600;min-width:0;overflow-wrap:anywhere}
.sub,.hint,.meta,footer{color:var(--muted);font-size:.8125rem;margin:0}
.banner,.error{border:1px solid;border-radius:8px;padding:.625rem .875rem;margin:0 0 1rem}
.banner{background:var(--warn-bg);color:var(--warn-fg);border-color:var(--warn-line)}
.banner p{margin:0}
.error{background:var(--err-bg);color:var(--err-fg);border-color:var(--err-line);margin:1rem 0 0}
.error code{font-family:var(--mono);font-size:.8125rem}
form,section{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:1rem}
label{display:block;font-size:.8125rem;font-weight:600;margin-bottom:.25rem}
.opt{font-weight:400;color:var(--muted)}
input,select,button{font:inherit;color:inherit}
input,select{width:100%;height:2.5rem;padding:0 .625rem;border:1px solid var(--line);border-radius:6px;background:var(--code)}
#q{font-size:1.0625rem}
.controls{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-top:.75rem}
.controls>div{flex:0 1 13rem}
.controls>div.k{flex-basis:7rem}
button{height:2.5rem;padding:0 1rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;font-weight:600;cursor:pointer}
@media (prefers-color-scheme:dark){button{color:#0d1220}}
button.quiet{height:auto;background:transparent;color:var(--accent);padding:.25rem .75rem;font-size:.8125rem}
button:disabled{opacity:.45;cursor:default}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.hint{margin-top:.5rem}
.results{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,6fr);gap:1rem;margin-top:1rem;align-items:start}
@media (max-width:56rem){.results{grid-template-columns:minmax(0,1fr)}}
@media (max-width:40rem){.controls>div,.controls>div.k{flex:1 1 100%}}
section{min-width:0}
.head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem .75rem;margin-bottom:.75rem;min-height:1.875rem}
.meta{margin-left:auto;text-align:right}
.bars{list-style:none;margin:0;padding:0}
.bars li{display:grid;grid-template-columns:minmax(4rem,10rem) minmax(3rem,1fr) auto;gap:.75rem;align-items:center;padding:.125rem 0}
.term{font-family:var(--mono);font-size:.875rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar{height:.75rem;background:var(--track);border-radius:3px;overflow:hidden}
.bar span{display:block;height:100%;background:var(--accent);border-radius:3px}
.w{font-family:var(--mono);font-size:.8125rem;text-align:right;font-variant-numeric:tabular-nums;min-width:6.5rem}
pre{margin:0;padding:.75rem;background:var(--code);border:1px solid var(--line);border-radius:6px;font:.8125rem/1.5 var(--mono);overflow:auto;max-height:36rem;white-space:pre;tab-size:4}
pre.text{white-space:pre-wrap;overflow-wrap:anywhere}
.empty{color:var(--muted);margin:0}
.docs{margin-top:1rem}
.hits{margin:0;padding:0 0 0 1.75rem}
.hits li{padding:.5rem 0;border-top:1px solid var(--line)}
.hits li:first-child{border-top:0;padding-top:0}
.hits li::marker{color:var(--muted);font-size:.8125rem;font-variant-numeric:tabular-nums}
.hit-head{display:flex;gap:.75rem;align-items:baseline}
.score{margin-left:auto;font-family:var(--mono);font-size:.8125rem;font-variant-numeric:tabular-nums}
.doc-id{font-family:var(--mono);font-size:.875rem}
.fields{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:0 .75rem;margin:.125rem 0 0;font-size:.8125rem}
.fields dt{color:var(--muted)}
.fields dd{margin:0;overflow-wrap:anywhere}
.fields dd.doc-id{font-size:.8125rem}
footer{margin-top:1.25rem}
a{color:var(--accent)}
[hidden]{display:none!important}
`;

/** The page's one script: client() with the helper wrangler's keepNames calls (see above). */
const SCRIPT = `"use strict";\nconst __name = (fn) => fn;\n(${client})();\n`;

const HTML_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>splade-edge · query encoder and search</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<div class="wrap">
<header><h1>splade-edge</h1><p class="sub" id="model">SPLADE query encoder</p></header>
<div id="banner" class="banner" role="status" hidden></div>
<noscript><p class="error">This page needs JavaScript. The API does not: <code>GET /encode?q=red+planet&amp;top_k=10</code></p></noscript>
<main>
<form id="form" role="search" aria-label="Encode a query">
<label for="q">Query</label>
<input id="q" name="q" type="search" autocomplete="off" spellcheck="false" autofocus placeholder="which planet is known as the red planet">
<div class="controls">
<div><label for="format">Format</label><select id="format" name="format" aria-describedby="format-desc" disabled></select></div>
<div id="field-box" hidden><label for="field">Field <span id="field-hint" class="opt"></span></label><input id="field" name="field" autocomplete="off" spellcheck="false"></div>
<div class="k"><label for="top_k">Top k</label><input id="top_k" name="top_k" type="number" min="1" step="1" inputmode="numeric" value="20"></div>
<div id="key-box" hidden><label for="key">API key</label><input id="key" name="key" type="password" autocomplete="off" spellcheck="false"></div>
<button type="submit" id="submit">Encode</button>
</div>
<p class="hint" id="format-desc"></p>
</form>
<div id="error" class="error" role="alert" hidden></div>
<p id="search-off" class="banner" role="status" hidden></p>
<section id="docs" class="docs" aria-labelledby="docs-h" data-state="idle" hidden>
<div class="head"><h2 id="docs-h">Documents</h2><p class="meta" id="docs-meta" aria-live="polite"></p></div>
<ol id="hits" class="hits" aria-labelledby="docs-h"></ol>
<p id="docs-empty" class="empty"></p>
</section>
<div id="results" class="results" data-state="idle">
<section aria-labelledby="terms-h">
<div class="head"><h2 id="terms-h">Terms, heaviest first</h2><p class="meta" id="meta" aria-live="polite"></p></div>
<ol id="bars" class="bars" aria-labelledby="terms-h"></ol>
<p id="empty" class="empty">Type a query to see its terms.</p>
</section>
<section aria-labelledby="body-h">
<div class="head"><h2 id="body-h">Engine body</h2><button type="button" class="quiet" id="copy" disabled>Copy</button><span id="copied" class="sub" role="status"></span><p class="meta" id="body-meta"></p></div>
<pre id="body" tabindex="0" aria-labelledby="body-h" hidden></pre>
<p id="body-empty" class="empty"></p>
</section>
</div>
</main>
<footer>POST /encode · POST /search · <a href="/info">GET /info</a> · <a href="/health">GET /health</a></footer>
</div>
<script>`;

/** The whole page: the script is the document's last element. */
export const PAGE_HTML = `${HTML_HEAD}${SCRIPT}</script>\n</body>\n</html>\n`;

async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

let headers: Promise<Record<string, string>> | undefined;

/** The page's headers, its CSP hashes computed once per isolate. */
function pageHeaders(): Promise<Record<string, string>> {
  headers ??= Promise.all([sha256Source(SCRIPT), sha256Source(STYLE)]).then(([script, style]) => ({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src ${style}`,
      "connect-src 'self'",
      "img-src data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "require-trusted-types-for 'script'",
    ].join("; "),
    // Small and static per deployment: browsers may keep it five minutes, then ask again.
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  }));
  return headers;
}

/** Adds `GET /` (and HEAD): the page. */
export function registerPage<E extends Env, S extends Schema, B extends string>(app: Hono<E, S, B>): void {
  app.get("/", async (c) => c.body(PAGE_HTML, 200, await pageHeaders()));
}
