// The page's script, run in the browser: type a query, see its terms as bars and the exact body /encode answers, and,
// when /info describes a search index that /search can answer from, the query's top documents (POST /search).
// page.ts embeds this function's source in the page as `(client)()`, so everything it uses is inside it: no imports
// (type-only ones are erased), no module-level values. It is type-checked with the DOM's types by ./tsconfig.json.
//
// Stored fields come from the corpus the index was built from, so they are the page's untrusted input: every one is
// written with textContent (the page's CSP requires Trusted Types for script sinks, and innerHTML is never used), and
// only a `url` whose scheme is http or https becomes a link.
//
// Objects in /encode's JSON keep their order here (a terms map is heaviest first, and JSON.parse would hoist
// integer-like keys such as "2019"), so the page reads and re-indents the JSON by its tokens and never re-serializes it.

/** A query format, as GET /info lists it. */
interface Format {
  name: string;
  description: string;
  requires: string[];
  accepts: string[];
}

/** What the page reads of GET /info's `index`: null when no index is deployed. */
interface IndexInfo {
  stored: string[];
  document_model: { repo: string; random_weights: boolean };
}

interface Info {
  model: { repo: string; kind: string; license: string | null };
  engine: { name: string; build: string | null };
  formats: Format[];
  random_weights?: boolean;
  warning?: string;
  index?: IndexInfo | null;
  /** Why /search would answer 503 (a missing index, or one that does not pair with the query model). */
  index_problem?: string;
}

/** A POST /search answer, as the page reads it. */
interface Found {
  hits: { id: string; score: number; fields?: Record<string, unknown> }[];
  documents: number;
}

/** A 4xx/5xx body: { error, error_type }. */
interface Failure {
  error?: string;
  error_type?: string;
}

/** What the page keeps of an /encode or /search answer. */
interface Answer {
  ok: boolean;
  status: number;
  type: string;
  random: boolean;
  /** The Server-Timing header, or "". */
  timing: string;
  text: string;
}

export function client(): void {
  /** The element with this id, checked to be of the type the page's HTML gives it. */
  const $ = <T extends HTMLElement>(id: string, type: new () => T): T => {
    const element = document.getElementById(id);
    if (!(element instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
    return element;
  };
  const q = $("q", HTMLInputElement);
  const fmt = $("format", HTMLSelectElement);
  const field = $("field", HTMLInputElement);
  const fieldBox = $("field-box", HTMLElement);
  const fieldHint = $("field-hint", HTMLElement);
  const topk = $("top_k", HTMLInputElement);
  const results = $("results", HTMLElement);
  const bars = $("bars", HTMLElement);
  const empty = $("empty", HTMLElement);
  const meta = $("meta", HTMLElement);
  const pre = $("body", HTMLPreElement);
  const bodyMeta = $("body-meta", HTMLElement);
  const bodyEmpty = $("body-empty", HTMLElement);
  const errorBox = $("error", HTMLElement);
  const banner = $("banner", HTMLElement);
  const copy = $("copy", HTMLButtonElement);
  const copied = $("copied", HTMLElement);
  const key = $("key", HTMLInputElement);
  const keyBox = $("key-box", HTMLElement);
  const docs = $("docs", HTMLElement);
  const hits = $("hits", HTMLOListElement);
  const docsMeta = $("docs-meta", HTMLElement);
  const docsEmpty = $("docs-empty", HTMLElement);
  const searchOff = $("search-off", HTMLElement);
  const DEFAULT_FIELD = "splade";
  /** Hits the page asks /search for. */
  const SEARCH_K = 10;
  /** The index's stored fields, every one asked for with each search; null while there is no index to search. */
  let stored: string[] | null = null;
  const formats: Record<string, Format> = {};
  let fieldEdited = false;
  let seq = 0;
  let timer = 0;
  let copiedTimer = 0;
  let ctrl: AbortController | null = null;

  const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]|[^\s{}[\],:"]+/g;
  const tokens = (text: string): string[] => text.match(TOKEN) ?? [];
  const pretty = (text: string): string => {
    const t = tokens(text);
    const pad = (n: number) => `\n${"  ".repeat(n)}`;
    let out = "";
    let depth = 0;
    for (let i = 0; i < t.length; i++) {
      const s = t[i];
      if (s === "{" || s === "[") {
        const close = s === "{" ? "}" : "]";
        if (t[i + 1] === close) {
          out += s + close;
          i++;
        } else out += s + pad(++depth);
      } else if (s === "}" || s === "]") out += pad(--depth) + s;
      else if (s === ",") out += `,${pad(depth)}`;
      else if (s === ":") out += ": ";
      else out += s;
    }
    return out;
  };
  /** The "terms" map of a terms answer in the order sent: [[term, weight exactly as sent], …]. */
  const termsOf = (text: string): [string, string][] => {
    const t = tokens(text);
    const pairs: [string, string][] = [];
    let i = t.indexOf('"terms"');
    if (i < 0 || t[i + 2] !== "{") return pairs;
    for (i += 3; i < t.length && t[i] !== "}"; i += t[i + 3] === "," ? 4 : 3) pairs.push([JSON.parse(t[i]) as string, t[i + 2]]);
    return pairs;
  };

  // With SPLADE_API_KEYS set, /info and /encode need the key: asked for on the first 401, kept for this tab only.
  key.value = sessionStorage.getItem("splade-edge-key") ?? "";
  keyBox.hidden = key.value === "";
  const auth = (): Record<string, string> => (key.value ? { authorization: `Bearer ${key.value}` } : {});
  const askForKey = (r: { status: number }) => {
    if (r.status === 401) {
      keyBox.hidden = false;
      key.focus();
    }
  };
  const post = async (path: "/encode" | "/search", body: Record<string, unknown>, signal: AbortSignal): Promise<Answer> => {
    const r = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth() },
      body: JSON.stringify(body),
      signal,
    });
    const text = await r.text();
    return {
      ok: r.ok,
      status: r.status,
      type: r.headers.get("content-type") ?? "",
      random: r.headers.get("x-splade-random-weights") === "true",
      timing: r.headers.get("server-timing") ?? "",
      text,
    };
  };
  const showError = (status: number, type: string | undefined, message: string) => {
    errorBox.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = message;
    errorBox.append(strong);
    if (status) {
      const code = document.createElement("code");
      code.textContent = ` (${status}${type ? ` ${type}` : ""})`;
      errorBox.append(code);
    }
    errorBox.hidden = false;
  };
  const failure = (r: Answer) => {
    askForKey(r);
    let body: Failure = {};
    try {
      body = JSON.parse(r.text) as Failure;
    } catch {}
    showError(r.status, body.error_type, typeof body.error === "string" ? body.error : "the request failed");
  };
  /** Adds a line to the banner, once per label: the query model's random weights, the index's. */
  const warn = (label: string, text: string) => {
    if (Array.from(banner.children).some((line) => line.firstChild?.textContent === label)) return;
    const line = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = label;
    line.append(strong, text);
    banner.append(line);
    banner.hidden = false;
  };
  const RANDOM = "Random weights: ";

  const takesField = (spec: Format | undefined) => !!spec && (spec.requires.includes("field") || spec.accepts.includes("field"));
  const syncFormat = () => {
    const spec = formats[fmt.value] as Format | undefined;
    $("format-desc", HTMLElement).textContent = spec ? spec.description : "";
    const takes = takesField(spec);
    const required = takes && !!spec?.requires.includes("field");
    fieldBox.hidden = !takes;
    field.required = required;
    if (takes && !fieldEdited) field.value = required ? DEFAULT_FIELD : "";
    field.placeholder = required ? DEFAULT_FIELD : "format default";
    fieldHint.textContent = required ? "(required)" : "(optional)";
  };
  const saveState = () => {
    const p = new URLSearchParams();
    if (q.value) p.set("q", q.value);
    if (fmt.value && fmt.value !== "terms") p.set("format", fmt.value);
    if (!fieldBox.hidden && field.value) p.set("field", field.value);
    if (topk.value) p.set("top_k", topk.value);
    const s = p.toString();
    history.replaceState(null, "", s ? `?${s}` : location.pathname);
  };
  const noBody = (note: string) => {
    pre.textContent = bodyMeta.textContent = "";
    pre.hidden = true;
    bodyEmpty.textContent = note;
    bodyEmpty.hidden = false;
    copy.disabled = true;
  };
  const noHits = (note: string) => {
    hits.replaceChildren();
    docsMeta.textContent = "";
    docsEmpty.textContent = note;
    docsEmpty.hidden = false;
  };
  const TYPE_TO_SEARCH = "Type a query to search the documents.";
  const clear = (note?: string) => {
    bars.replaceChildren();
    meta.textContent = "";
    empty.textContent = note || "Type a query to see its terms.";
    empty.hidden = false;
    noBody(note || "The body /encode answers appears here.");
  };

  const renderTerms = (text: string) => {
    const pairs = termsOf(text);
    const info = JSON.parse(text) as { tokens: number; truncated?: boolean };
    const max = pairs.length ? Math.max(...pairs.map((p) => Number(p[1]))) : 0;
    const items = pairs.map(([term, w]) => {
      const li = document.createElement("li");
      const t = document.createElement("span");
      const bar = document.createElement("span");
      const fill = document.createElement("span");
      const n = document.createElement("span");
      t.className = "term";
      t.textContent = t.title = term;
      bar.className = "bar";
      bar.setAttribute("aria-hidden", "true");
      fill.style.width = `${max > 0 ? Math.max(0.5, (Number(w) / max) * 100) : 0}%`;
      bar.append(fill);
      n.className = "w";
      n.textContent = w;
      li.append(t, bar, n);
      return li;
    });
    bars.replaceChildren(...items);
    empty.hidden = items.length > 0;
    empty.textContent = items.length ? "" : "No non-zero terms.";
    meta.textContent = `${pairs.length}${pairs.length === 1 ? " term" : " terms"} · ${info.tokens} tokens${info.truncated ? " · truncated" : ""}`;
  };
  const renderBody = (r: Answer, name: string) => {
    const json = r.type.startsWith("application/json");
    pre.className = json ? "" : "text";
    pre.textContent = json ? pretty(r.text) : r.text.replace(/\n$/, "");
    bodyMeta.textContent = `${name} · ${r.type.split(";")[0]}`;
    bodyEmpty.hidden = true;
    pre.hidden = false;
    copy.disabled = false;
  };

  /** A field's value as text: a string as it is, anything else as its JSON. */
  const textOf = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
  /** A stored `url` as a link when it is an absolute http(s) URL; anything else (javascript:, data:, relative) as text. */
  const linkOf = (value: unknown): Node => {
    let url: URL | undefined;
    try {
      url = typeof value === "string" ? new URL(value) : undefined;
    } catch {}
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return document.createTextNode(textOf(value));
    const a = document.createElement("a");
    a.href = url.href;
    a.rel = "noopener noreferrer";
    a.textContent = value as string;
    return a;
  };
  /** The `search` duration of a Server-Timing header (hono/timing: `search;dur=0.4`), or undefined. */
  const searchMs = (timing: string) => /(?:^|,)\s*search\s*;[^,]*?\bdur=([0-9.]+)/.exec(timing)?.[1];
  const renderHits = (r: Answer, fields: string[]) => {
    const found = JSON.parse(r.text) as Found;
    const items = found.hits.map((hit) => {
      const li = document.createElement("li");
      const head = document.createElement("div");
      const heading = document.createElement("h3");
      const score = document.createElement("span");
      const list = document.createElement("dl");
      const row = (name: string, value: Node | string, className = "") => {
        const dt = document.createElement("dt");
        const dd = document.createElement("dd");
        dt.textContent = name;
        dd.className = className;
        dd.append(value);
        list.append(dt, dd);
      };
      const values = hit.fields ?? {};
      const title = values.title;
      const titled = typeof title === "string" && title.trim() !== "";
      head.className = "hit-head";
      heading.textContent = titled ? title : hit.id;
      heading.className = titled ? "" : "doc-id";
      score.className = "score";
      // As sent: the Worker writes numbers with JSON.stringify, whose digits String() gives back for the parsed value.
      score.textContent = String(hit.score);
      score.title = "score";
      head.append(heading, score);
      li.append(head);
      if (titled) row("id", hit.id, "doc-id");
      for (const name of fields) {
        if (!(name in values) || (name === "title" && titled)) continue;
        row(name, name === "url" ? linkOf(values[name]) : textOf(values[name]));
      }
      list.className = "fields";
      if (list.childElementCount > 0) li.append(list);
      return li;
    });
    hits.replaceChildren(...items);
    docsEmpty.hidden = items.length > 0;
    docsEmpty.textContent = items.length ? "" : "No document holds any of the query's terms.";
    const ms = searchMs(r.timing);
    const count = (n: number, one: string) => `${n.toLocaleString("en")} ${one}${n === 1 ? "" : "s"}`;
    docsMeta.textContent = `${count(items.length, "hit")} of ${count(found.documents, "document")}${ms === undefined ? "" : ` · search ${ms} ms`}`;
  };

  const run = () => {
    clearTimeout(timer);
    saveState();
    ctrl?.abort();
    errorBox.hidden = true;
    if (!q.value.trim()) {
      clear();
      noHits(TYPE_TO_SEARCH);
      results.dataset.state = docs.dataset.state = "idle";
      return;
    }
    ctrl = new AbortController();
    const id = ++seq;
    const signal = ctrl.signal;
    const name = fmt.value;
    const base: { query: string; top_k?: number } = { query: q.value };
    if (topk.value.trim() !== "") base.top_k = Number(topk.value);
    const request: Record<string, unknown> = { format: name, ...base };
    if (!fieldBox.hidden && field.value !== "") request.field = field.value;
    const fields = stored;
    results.dataset.state = docs.dataset.state = "busy";
    results.setAttribute("aria-busy", "true");
    docs.setAttribute("aria-busy", "true");
    Promise.all([
      post("/encode", request, signal),
      name === "terms" ? null : post("/encode", { format: "terms", ...base }, signal),
      fields ? post("/search", { query: base.query, k: SEARCH_K, fields }, signal) : null,
    ])
      .then(([chosen, termsAnswer, found]) => {
        if (id !== seq) return;
        const terms = termsAnswer ?? chosen;
        if (chosen.random || terms.random) warn(RANDOM, "The model's vectors mean nothing.");
        // Before /encode's: an /encode error, shown after, is the one the error box keeps.
        if (found && fields) {
          if (found.ok) renderHits(found, fields);
          else {
            noHits("No documents: see the error above.");
            failure(found);
          }
          docs.dataset.query = base.query;
          docs.dataset.state = found.ok ? "done" : "error";
        }
        if (!terms.ok) {
          clear("No answer: see the error above.");
          failure(terms);
          results.dataset.state = "error";
          return;
        }
        renderTerms(terms.text);
        if (chosen.ok) renderBody(chosen, name);
        else {
          noBody("No body: see the error above.");
          failure(chosen);
        }
        results.dataset.query = base.query;
        results.dataset.format = name;
        results.dataset.state = chosen.ok ? "done" : "error";
      })
      .catch((e: Error) => {
        if (id !== seq || e.name === "AbortError") return;
        showError(0, "", `Could not reach the Worker: ${e.message}`);
        results.dataset.state = docs.dataset.state = "error";
      })
      .finally(() => {
        if (id !== seq) return;
        results.setAttribute("aria-busy", "false");
        docs.setAttribute("aria-busy", "false");
      });
  };

  const params = new URLSearchParams(location.search);
  const loadInfo = () =>
    fetch("/info", { headers: auth() })
      .then((r) =>
        r.json().then((info: Info & Failure) => {
          errorBox.hidden = true;
          if (!r.ok) {
            askForKey(r);
            showError(r.status, info.error_type, info.error || "GET /info failed");
            return;
          }
          if (info.random_weights) warn(RANDOM, info.warning || "The model's vectors mean nothing.");
          const index = info.index ?? null;
          if (index?.document_model.random_weights) {
            warn(
              "Random document weights: ",
              `the index's documents were encoded by a generated model (${index.document_model.repo}): their scores mean nothing.`,
            );
          }
          // Searched only when /search would answer: no index is no panel and no request; one that does not pair is said.
          stored = index && !info.index_problem ? index.stored : null;
          docs.hidden = stored === null;
          searchOff.hidden = !(index && info.index_problem);
          searchOff.textContent = index && info.index_problem ? `Search is off: ${info.index_problem}` : "";
          $("submit", HTMLButtonElement).textContent = stored ? "Search" : "Encode";
          // Which model, which kind and its licence: what a user must know before relying on the vectors.
          const engine = info.engine.build ? `${info.engine.name} (${info.engine.build})` : info.engine.name;
          $("model", HTMLElement).textContent = `${info.model.repo} · ${info.model.kind} · ${engine} · licence: ${info.model.license ?? "unknown"}`;
          for (const f of info.formats) {
            formats[f.name] = f;
            const o = document.createElement("option");
            o.value = o.textContent = f.name;
            fmt.append(o);
          }
          const wanted = params.get("format");
          if (wanted && formats[wanted]) fmt.value = wanted;
          syncFormat();
          fmt.disabled = false;
          run();
        }),
      )
      .catch((e: Error) => showError(0, "", `Could not load /info: ${e.message}`));
  // Until /info has answered (it may need the key) there is no format list to encode with: load it first.
  const refresh = () => (Object.keys(formats).length === 0 ? loadInfo() : run());
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  };

  copy.addEventListener("click", () => {
    const text = pre.textContent ?? "";
    const done = () => {
      copied.textContent = "Copied";
      clearTimeout(copiedTimer);
      copiedTimer = setTimeout(() => {
        copied.textContent = "";
      }, 2000);
    };
    const fallback = () => {
      const range = document.createRange();
      range.selectNodeContents(pre);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      // execCommand is deprecated but is the only copy a page without clipboard access (plain http) has.
      if (document.execCommand("copy")) done();
      else copied.textContent = "Press Ctrl+C to copy the selection";
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  });
  $("form", HTMLFormElement).addEventListener("submit", (e) => {
    e.preventDefault();
    refresh();
  });
  q.addEventListener("input", later);
  field.addEventListener("input", () => {
    fieldEdited = true;
    later();
  });
  topk.addEventListener("input", later);
  fmt.addEventListener("change", () => {
    syncFormat();
    run();
  });

  q.value = params.get("q") ?? "";
  topk.value = params.get("top_k") ?? topk.value;
  const wantedField = params.get("field");
  if (wantedField !== null) {
    field.value = wantedField;
    fieldEdited = true;
  }
  clear();
  noHits(TYPE_TO_SEARCH);
  key.addEventListener("change", () => sessionStorage.setItem("splade-edge-key", key.value));
  loadInfo();
}
