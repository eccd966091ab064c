// Texts for the tokenizer parity test: every case is generated from a fixed seed, so Node (where the Rust reference
// computes the expected ids) and workerd (where our tokenizer runs) build the same list without shipping the strings.
// The generator uses nothing engine-dependent (no Math.random, no String.prototype.normalize).

export interface TokenizerCase {
  category: string;
  text: string;
}

/** What tokenizer-golden.setup.ts provides to the workerd test. */
export interface TokenizerGolden {
  /** The converted query fixture's tokenizer files, as the Worker would read them. */
  tokenizerJson: string;
  tokenizerConfig: string;
  /** manifest.json `max_length`. */
  maxLength: number;
  /** One entry per tokenizerCases() case, in order: its text hash and Rust's untruncated ids, [CLS] and [SEP] included. */
  cases: Array<{ hash: number; ids: number[] }>;
}

declare module "vitest" {
  export interface ProvidedContext {
    tokenizerGolden: TokenizerGolden;
  }
}

/** Content tokens a text may have under max length 256 before it is cut: [CLS] + 254 + [SEP]. */
const ROOM = 254;

/** mulberry32: a tiny seeded generator; the cases must be identical on every run and runtime. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

const cp = (n: number) => String.fromCodePoint(n);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const WORDS = (
  "the of and to in is for on with as by what how why when where who which does do can best vs between difference " +
  "planet red mars venus earth jupiter saturn solar system moon star galaxy ocean river mountain city country capital " +
  "france paris germany berlin japan tokyo brazil canada weather temperature population history war president " +
  "recipe chicken soup bread coffee tea health symptoms treatment diabetes vaccine protein vitamin sleep exercise " +
  "python javascript rust database query index search engine retrieval sparse dense vector embedding model neural " +
  "network learning transformer attention tokenizer tokenization encoder decoder latency throughput benchmark " +
  "price cost cheap buy sell stock market bitcoin inflation salary tax insurance mortgage loan bank account " +
  "movie music song album artist football basketball olympics world cup champion team player score game " +
  "unbelievably internationalization antidisestablishmentarianism counterintuitive photosynthesis mitochondria"
).split(" ");

const QUESTION_STARTS = ["what is", "how to", "why does", "who was", "where is", "when did", "how many", "is it safe to", "can you", "define"];

const PUNCT_ASCII = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".split("");
const PUNCT_UNICODE = "“”‘’…—–‐‑‒―¡¿«»‹›„‚†‡•‰′″‼⁇⁈⁉⸮、。・《》「」『』【】〔〕※¶§·‧⁂⁎⁑⁕⸘⸚⸜⸝".split("");
/** Punctuation added after Unicode 8.0, the version of Rust's category tables. */
const PUNCT_AFTER_UNICODE_8 = [0x061d, 0x0a76, 0x0c77, 0x0c84, 0x1b7d, 0x2e43, 0x2e45, 0x2e4f, 0x2e52, 0x2e5d, 0x10f55, 0x11944, 0x16fe2, 0x1e95e].map(cp);
/** Code points whose category moved into or out of punctuation / nonspacing marks after Unicode 8.0. */
const CATEGORY_MOVED = [0x166d, 0x1734, 0x111c9, 0x1171e].map(cp);
const SYMBOLS = "€£¥₹₿¢±×÷≠≤≥∞√∑∫∂°©®™℃№♥♦♣♠★☆→←↑↓⇒∀∃∈∅".split("");

const CONTROLS = [...range(0x00, 0x1f), 0x7f, ...range(0x80, 0x9f)].map(cp);
const ZERO_WIDTH = [
  0x200b, 0x200c, 0x200d, 0xfeff, 0x2060, 0x00ad, 0x200e, 0x200f, 0x061c, 0x180e, 0x2061, 0x2064, 0x206a, 0x206f, 0xfff9, 0xfffb, 0x1bca0, 0x13430, 0x1d173,
  0xe0001, 0xe0041, 0xe007f,
].map(cp);
const WHITESPACE = [0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0x20, 0xa0, 0x1680, ...range(0x2000, 0x200a), 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0x85, 0x180e].map(cp);

const ACCENTED = (
  "café naïve résumé Müller São Paulo Zürich Ångström Dvořák Łódź Þórr Ærøskøbing façade jalapeño crème brûlée " +
  "ÀÉÎÕÜ àéîõü Ñandú Øresund Šibenik Çanakkale İstanbul ılık Ğ ğ ẞtraße straße Björk Mötley Crüe Pokémon " +
  "Ελλάδα Ἀθῆναι ὀδυσσεύς Χαΐρετε Ё ёлка Йошкар-Ола Ǆemal ǅ ǆ Ǳ ǲ ǳ Ǉ ǈ ǉ ǌ Ĳssel ĳs ŉ ſ Åsa Å K Ω"
).split(" ");
const VIETNAMESE = "Tiếng Việt Phở bò Nguyễn Đà Nẵng Hà Nội thành phố Hồ Chí Minh những người đẹp nhất Cần Thơ ướt mưa Quảng Ngãi".split(" ");
const LIGATURES = ["ﬁne", "ﬂow", "oﬀer", "eﬃcient", "baﬄe", "ﬅ", "ﬆ", "œuvre", "Œdipus", "æther", "Æsir", "ꜳ", "ꝏ", "ŋ", "ʤ", "ʧ", "ȸ", "ȹ"];
/** Combining diacritics (U+0300–U+036F and friends), stacked on bases in random and non-canonical orders. */
const COMBINING = [
  ...range(0x0300, 0x036f),
  0x0483,
  0x0591,
  0x05b0,
  0x064b,
  0x0670,
  0x0900,
  0x093c,
  0x0e31,
  0x0e48,
  0x1ab0,
  0x1dc0,
  0x1df6,
  0x20d0,
  0x20dd,
  0x20e3,
  0xfe0f,
  0xfe20,
  0x1d167,
].map(cp);

const CJK_TEXT = [
  "北京大学",
  "东京塔的高度是多少",
  "我爱自然语言处理",
  "中华人民共和国",
  "漢字と仮名",
  "繁體中文測試",
  "香港特別行政區",
  "東京タワーの高さは？",
  "ひらがな",
  "カタカナ",
  "ｶﾀｶﾅﾞ ﾊﾟﾝ",
  "こんにちは世界",
  "日本語の文章です。",
  "ありがとうございます",
  "한국어",
  "안녕하세요",
  "서울특별시",
  "대한민국 국민",
  "\u1100\u1161\u11a8",
  "\u1112\u1161\u11ab\u1100\u1173\u11af",
  "𠀀",
  "𠜎𠜱𠝹𠱓",
  "𡃁𪚥𪜀",
  "𫝀𫠝",
  "𬺰𮯠",
  "\u{3134a}\u{31350}",
  "\u{2b820}\u{2b8ff}",
  "豈更車",
  "\u{2f800}\u{2f8cc}\u{2fa1d}",
  "⺀⺁⼀⿕",
  "ㄅㄆㄇ",
  "々〆〇",
  "ＡＢＣ！？",
  "ｆｕｌｌｗｉｄｔｈ １２３",
  "ﾟﾞ",
  "〜～",
  "㈱㍻㎏",
  "\u3000全角スペース\u3000",
];

const EMOJI = [
  "🚀",
  "🔥",
  "😀",
  "😂",
  "❤️",
  "👍",
  "👍🏻",
  "👍🏿",
  "👋🏽",
  "🧑‍💻",
  "👨🏽‍💻",
  "👩‍👩‍👧‍👦",
  "👨‍❤️‍💋‍👨",
  "🏳️‍🌈",
  "🏴‍☠️",
  "🇫🇷",
  "🇯🇵",
  "🇺🇸🇬🇧",
  "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
  "1️⃣",
  "#️⃣",
  "*️⃣",
  "☺︎",
  "☺️",
  "🥰",
  "🫠",
  "🫶🏼",
  "🐈‍⬛",
  "👁️‍🗨️",
  "🙇‍♀️",
  "⌚",
  "⏰",
  "©️",
  "®",
];

const SCRIPTS = [
  "Ελληνικά γλώσσα",
  "ΟΔΟΣ ΣΟΦΙΑΣ",
  "ΣΊΣΥΦΟΣ",
  "ὁ λόγος τοῦ θεοῦ",
  "Ὀδυσσεύς",
  "Русский язык",
  "Москва Ёлки-палки",
  "Україна ґ є ї",
  "Српски Ђорђе",
  "עברית",
  "שָׁלוֹם עֲלֵיכֶם",
  "בְּרֵאשִׁית",
  "العربية",
  "اَلسَّلَامُ عَلَيْكُمْ",
  "مـــرحـــبـــا",
  "فارسی گچ پژ",
  "اردو ٹ ڈ ڑ",
  "हिन्दी भाषा",
  "नमस्ते दुनिया",
  "संस्कृतम्",
  "বাংলা ভাষা",
  "தமிழ் மொழி",
  "తెలుగు",
  "ಕನ್ನಡ",
  "മലയാളം",
  "ગુજરાતી",
  "ਪੰਜਾਬੀ",
  "ଓଡ଼ିଆ",
  "ภาษาไทย",
  "สวัสดีครับ",
  "ພາສາລາວ",
  "ភាសាខ្មែរ",
  "မြန်မာဘာသာ",
  "ქართული ენა",
  "ᲥᲐᲠᲗᲣᲚᲘ",
  "Հայերեն",
  "አማርኛ",
  "ትግርኛ",
  "བོད་སྐད",
  "සිංහල",
  "ᠮᠣᠩᠭᠣᠯ",
  "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
  "ꮳꮃꭹ",
  "ᚠᚢᚦᚨᚱᚲ",
  "ⲕⲩⲡⲧⲓⲕⲟⲛ",
  "𐌲𐌿𐍄𐌹𐍃𐌺",
  "𓀀𓁐𓂀",
  "ꦗꦮ",
  "ᬩᬮᬶ",
  "ߒߞߏ",
  "İstanbul'da ılık",
  "DİYARBAKIR",
  "GROẞ",
  "ǅemal",
  "ΐΰ",
  "ﬀ",
  "ᾼ ᾳ ᾈ",
  "Ⅻ ⅻ Ⓐ ⓐ",
  "𝐀𝐁𝐂 𝒜𝒷𝒸",
  "Ꭰ Ꮿ Ᏸ ᏸ",
];

const NUMBERS = [
  "0",
  "42",
  "-17",
  "3.14159",
  "1e-12",
  "6.022e23",
  "1,000,000",
  "1.000.000,50",
  "1 000 000",
  "1st 2nd 3rd 4th",
  "x² + y³ = z⁴",
  "½ ⅓ ¼ ⅞",
  "٠١٢٣٤٥٦٧٨٩",
  "۴۵۶",
  "०१२३",
  "০১২",
  "๑๒๓",
  "１２３４５",
  "Ⅰ Ⅱ Ⅲ Ⅻ",
  "① ② ⑳",
  "𝟏𝟐𝟑",
  "⁰¹²",
  "₀₁₂",
  "+1 (555) 123-4567",
  "2024-02-29",
  "23:59:59",
  "v1.2.3-beta.4",
  "0xFF 0b1010 0o777",
  "$1,234.56",
  "€5",
  "¥1000",
  "100%",
  "12:30pm",
  "3/4",
  "1/2 cup",
  "98.6°F",
  "-40°C",
  "π ≈ 3.14",
  "10^6",
  "1_000_000",
  "007",
  "000123",
  "9".repeat(40),
];

const CODE = [
  "https://example.com/path?q=sparse+retrieval&lang=en#section-2",
  "http://localhost:8787/encode",
  "ftp://files.example.org/pub/file.tar.gz",
  "user.name+tag@example.co.uk",
  "mailto:someone@例え.jp",
  "C:\\Users\\Admin\\Documents\\report.docx",
  "/usr/local/bin/node --version",
  "const x = a[i] => { return x ?? y; };",
  "SELECT * FROM docs WHERE id = 42;",
  '{"query": "red planet", "k": 10}',
  '<div class="x">hi</div>',
  "def f(x): return x**2",
  "^[a-z0-9_-]{3,16}$",
  "git commit -m 'fix: tokenizer'",
  "npm run model -- fetch",
  "#hashtag @mention",
  "snake_case_name camelCaseName kebab-case-name PascalCase",
  "std::vector<int>",
  "a->b",
  "x != y && z == w || !q",
  "`code` **bold** _it_",
  "https://ja.wikipedia.org/wiki/東京",
  "www.google.com",
  "192.168.0.1:8080",
  "2001:db8::ff00:42:8329",
  "sha256:07eced375cec144d27c9",
];

const LONG_PIECES = ["super", "cali", "fragil", "istic", "expi", "ali", "docious", "anti", "dis", "establish", "ment", "arian", "ism"];

function contexts(r: ReturnType<typeof rng>, c: string): string[] {
  const w = () => r.pick(WORDS);
  return [`${w()}${c}${w()}`, `${c}${w()} ${w()}`, `${w()} ${w()}${c}`, `${w()} ${c} ${w()}`, `${c}${c}${c}`, `${w()}${c}${c}${w()}`];
}

function english(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  const casing = (s: string) => {
    const k = r.int(4);
    if (k === 0) return s.toUpperCase();
    if (k === 1) return s.replace(/\b[a-z]/g, (m) => m.toUpperCase());
    return s;
  };
  for (let i = 0; i < 320; i++) {
    const n = 1 + r.int(9);
    const words = Array.from({ length: n }, () => r.pick(WORDS));
    const q = r.next() < 0.5 ? `${r.pick(QUESTION_STARTS)} ${words.join(" ")}` : words.join(" ");
    out.push(casing(q) + r.pick(["", "?", "?", ".", "!", " ", "  "]));
  }
  out.push("Which planet is known as the Red Planet?", "what's the difference between don't and doesn't", "rock'n'roll", "o'clock", "U.S.A.", "e.g. i.e. etc.");
  return out;
}

function accents(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [...ACCENTED, ...VIETNAMESE, ...LIGATURES];
  const bases = "aeiouyAEIOUYcnszgklrtdCNSZ".split("");
  for (let i = 0; i < 140; i++) {
    // Decomposed input (NFD) built by hand: a base letter and 1–3 marks in whatever order the generator draws.
    const word = Array.from({ length: 2 + r.int(7) }, () => {
      const marks = r.next() < 0.6 ? Array.from({ length: 1 + r.int(3) }, () => r.pick(COMBINING)).join("") : "";
      return r.pick(bases) + marks;
    }).join("");
    out.push(r.next() < 0.5 ? word : `${r.pick(WORDS)} ${word} ${r.pick(ACCENTED)}`);
  }
  for (let i = 0; i < 40; i++) out.push(`${r.pick(ACCENTED)} ${r.pick(VIETNAMESE)} ${r.pick(LIGATURES)}`);
  out.push("e\u0301", "\u0301", "\u0301\u0301abc", "a\u0301\u0327\u0308", "a\u0308\u0327\u0301", "\u00e9\u0301", "i\u0307", "\u0130", "\u1e9b\u0323");
  return out;
}

function cjk(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [...CJK_TEXT];
  const astral = [
    ...range(0x20000, 0x20010),
    0x2a6df,
    0x2a6e0,
    0x2a700,
    0x2b73f,
    0x2b740,
    0x2b81f,
    0x2b820,
    0x2b91f,
    0x2b920,
    0x2ceaf,
    0x2ceb0,
    0x2ebe0,
    0x2f800,
    0x2fa1f,
    0x2fa20,
    0x30000,
    0x3134a,
  ];
  for (const a of astral) out.push(`a${cp(a)}b`, `${cp(a)}${cp(a)}`);
  const edges = [0x4dff, 0x4e00, 0x9fff, 0xa000, 0x33ff, 0x3400, 0x4dbf, 0x4dc0, 0xf8ff, 0xf900, 0xfaff, 0xfb00, 0x3040, 0x3041, 0x30ff, 0xac00, 0xd7a3];
  for (const e of edges) out.push(`x${cp(e)}y`);
  for (let i = 0; i < 120; i++) {
    out.push(Array.from({ length: 1 + r.int(6) }, () => (r.next() < 0.3 ? r.pick(WORDS) : r.pick(CJK_TEXT))).join(r.pick(["", " ", "、", "。", "\u3000"])));
  }
  return out;
}

function emoji(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [...EMOJI];
  for (let i = 0; i < 120; i++) {
    const parts = Array.from({ length: 1 + r.int(5) }, () => (r.next() < 0.5 ? r.pick(EMOJI) : r.pick(WORDS)));
    out.push(parts.join(r.pick(["", " ", "", "!"])));
  }
  out.push("👩\u200d", "\u200d👩", "🇫", "🇫🇷🇫", "🏻", "a🏻b", "\ufe0f", "a\ufe0fb", "\u20e3", "1\u20e3");
  return out;
}

function punctuation(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const p of [...PUNCT_ASCII, ...PUNCT_UNICODE, ...PUNCT_AFTER_UNICODE_8, ...CATEGORY_MOVED, ...SYMBOLS]) out.push(`${r.pick(WORDS)}${p}${r.pick(WORDS)}`);
  for (let i = 0; i < 60; i++) {
    const pool = r.next() < 0.5 ? PUNCT_ASCII : PUNCT_UNICODE;
    out.push(Array.from({ length: 1 + r.int(12) }, () => (r.next() < 0.2 ? r.pick(WORDS) : r.pick(pool))).join(""));
  }
  out.push(
    "...",
    "!!!???",
    "?!",
    "--",
    "---",
    "(((nested)))",
    "[brackets] {braces} <angles>",
    "“quoted” ‘single’",
    "¿Qué? ¡Sí!",
    "«guillemets» ‹single›",
    "…",
    "a…b",
  );
  return out;
}

function controls(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const c of CONTROLS) out.push(...contexts(r, c).slice(0, 3));
  out.push("\u0000", "\u0000\u0000abc\u0000", "a\u0007b\u001bc", "\u007f\u0080\u009f", "\u0085line\u0085", CONTROLS.join(""), `x${CONTROLS.join("")}y`);
  return out;
}

function zeroWidth(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const c of ZERO_WIDTH) out.push(...contexts(r, c).slice(0, 4));
  out.push(
    "zero\u200bwidth",
    "soft\u00adhyphen\u00adation",
    "\ufeffBOM at start",
    "joiner\u200dand\u200cnon",
    "\u2060",
    "w\u2060o\u2060r\u2060d",
    ZERO_WIDTH.join(""),
  );
  return out;
}

function whitespace(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const c of WHITESPACE) out.push(...contexts(r, c).slice(0, 4));
  out.push("", " ", "   ", "\t\n\r", "\r\n", WHITESPACE.join(""), `a${WHITESPACE.join("")}b`, "  leading and trailing  ", "\u3000\u3000", "\u00a0nbsp\u00a0");
  return out;
}

function longWords(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const n of [99, 100, 101, 102, 150, 200, 500]) {
    out.push("x".repeat(n), `short ${"a".repeat(n)} words`, Array.from({ length: n }, () => r.pick("abcdefghij".split(""))).join(""));
  }
  // Lengths WordPiece counts in chars, after normalization: accents stripped, astral chars one each, CJK split off.
  for (const n of [50, 99, 100, 101]) {
    out.push("é".repeat(n), "e\u0301".repeat(n), "\u{1d400}".repeat(n), "a\u200b".repeat(n), `${"b".repeat(n - 1)}\u0301`, "中".repeat(n), "Ǆ".repeat(n));
  }
  out.push(
    "supercalifragilisticexpialidocious".repeat(3),
    "supercalifragilisticexpialidocious".repeat(4),
    "9".repeat(101),
    `${"ab".repeat(50)}!${"cd".repeat(51)}`,
  );
  for (let i = 0; i < 20; i++) out.push(Array.from({ length: 20 + r.int(30) }, () => r.pick(LONG_PIECES)).join(""));
  return out;
}

function scripts(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [...SCRIPTS];
  for (let i = 0; i < 150; i++) {
    out.push(Array.from({ length: 1 + r.int(5) }, () => (r.next() < 0.25 ? r.pick(WORDS) : r.pick(SCRIPTS))).join(r.pick([" ", "", ", ", " - "])));
  }
  return out;
}

function numbers(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [...NUMBERS];
  for (let i = 0; i < 70; i++) {
    const n = r.int(1_000_000_000);
    out.push(
      r.pick([
        `${n}`,
        `${n / 1000}`,
        `${r.pick(WORDS)} ${n}`,
        `${n} ${r.pick(WORDS)}s`,
        `#${n}`,
        `${n}x${r.int(100)}`,
        `${r.pick(NUMBERS)} ${r.pick(NUMBERS)}`,
      ]),
    );
  }
  return out;
}

function code(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [...CODE];
  const hosts = ["example.com", "splade.dev", "arxiv.org", "github.com", "xn--n3h.com", "bücher.de"];
  for (let i = 0; i < 110; i++) {
    const w = () => r.pick(WORDS);
    out.push(
      r.pick([
        `https://${r.pick(hosts)}/${w()}/${w()}?id=${r.int(9999)}&q=${w()}+${w()}`,
        `${w()}.${w()}@${r.pick(hosts)}`,
        `${w()}_${w()}(${w()}, ${r.int(100)})`,
        `${w()}.${w()}().${w()}[${r.int(10)}]`,
        `"${w()}": ${r.int(1000)}, "${w()}": [${r.int(9)}, ${r.int(9)}]`,
        `/${w()}/${w()}/${w()}.ts:${r.int(500)}:${r.int(80)}`,
        `<${w()} ${w()}="${w()}">${w()}</${w()}>`,
        `${r.pick(CODE)} ${w()}`,
      ]),
    );
  }
  return out;
}

function loneSurrogates(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const s of ["\ud800", "\udbff", "\ud83d", "\udc00", "\udfff", "\ude00"]) {
    out.push(s, `${s}start`, `mid${s}dle`, `end${s}`, `${r.pick(WORDS)} ${s} ${r.pick(WORDS)}`, `${s}${s}`, `中${s}文`);
  }
  out.push("\ude00\ud83d", "\ud83d\ud83d\ude00", "\ud83d\ude00\ude00", "a\ud800\udc00b", "\ud800a\udc00", "\udc00\ud800");
  return out;
}

function privateUse(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  const cps = [
    0xe000, 0xe123, 0xf8ff, 0xf0000, 0xffffd, 0x100000, 0x10fffd, 0xfdd0, 0xfdef, 0xfffe, 0xffff, 0x1fffe, 0x1ffff, 0x10fffe, 0x10ffff, 0xfffd, 0x0378, 0x2fffe,
    0x50000, 0xe0080,
  ];
  for (const c of cps) out.push(...contexts(r, cp(c)).slice(0, 3));
  out.push("\ufffd", "a\ufffdb", "\ufffd\ufffd\ufffd");
  return out;
}

function veryLong(r: ReturnType<typeof rng>): string[] {
  const out: string[] = [];
  for (const n of [2_000, 5_000, 10_000, 20_000]) {
    const pools = [WORDS, SCRIPTS, CJK_TEXT, ACCENTED, EMOJI, NUMBERS];
    let s = "";
    while (s.length < n) s += r.pick(r.pick(pools)) + r.pick([" ", " ", "", ", ", "\n"]);
    out.push(s);
  }
  out.push(
    "retrieval ".repeat(2000),
    "中".repeat(3000),
    "a".repeat(10_000),
    `${"word ".repeat(1000)}${"x".repeat(5000)}`,
    "!".repeat(1000),
    `${"\u200b".repeat(1000)}end`,
  );
  for (let i = 0; i < 20; i++) out.push(Array.from({ length: 300 + r.int(600) }, () => r.pick(WORDS)).join(" "));
  return out;
}

/** Texts whose content-token count lands on and around the 254 content tokens that fit next to [CLS] and [SEP]. */
function truncation(): string[] {
  const out: string[] = [];
  // "retrieval", "a", "!" and each CJK char are one token each: n of them give n content tokens.
  for (let n = ROOM - 4; n <= ROOM + 4; n++) {
    out.push("retrieval ".repeat(n).trimEnd(), Array(n).fill("a").join(" "), "!".repeat(n), "中".repeat(n));
  }
  // The cut falls inside a multi-piece word: k single-token words, then words of several pieces.
  for (const word of ["supercalifragilisticexpialidocious", "antidisestablishmentarianism", "unbelievably", "naïveté"]) {
    for (let k = ROOM - 12; k <= ROOM; k++) out.push(`${"the ".repeat(k)}${word} ${word}`);
  }
  out.push(`${"the ".repeat(ROOM - 1)}[MASK] tail`, `${"the ".repeat(ROOM - 1)}\u200b\u200b\u200b`, `${"the ".repeat(ROOM)}   `);
  return out;
}

function specialTokens(): string[] {
  return [
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "[UNK]",
    "[PAD]",
    "[cls]",
    "[mask]",
    "[Mask]",
    "[CLS] hello [SEP]",
    "x[MASK]y",
    "[[MASK]]",
    "[MASK",
    "MASK]",
    "[ MASK ]",
    "[CLS][SEP][MASK]",
    "[MA\u200bSK]",
    "the [MASK] is red",
    "[MASK][MASK][MASK]",
    "[unused0]",
    "[unused993]",
    "##ing",
    "## ing",
    "[ＭＡＳＫ]",
    "\u00a0[MASK]\u00a0",
    "[SEP]\n[SEP]",
    "é[MASK]é",
  ];
}

function mixed(r: ReturnType<typeof rng>, pools: string[][]): string[] {
  const out: string[] = [];
  const seps = [" ", " ", "", "\t", "\n", "\u00a0", "\u200b", "-", ",", "\u3000", "\r\n"];
  for (let i = 0; i < 800; i++) {
    const parts = Array.from({ length: 2 + r.int(7) }, () => r.pick(r.pick(pools)));
    // Long parts are cut at any code unit, so some cuts leave half a surrogate pair behind: on purpose.
    out.push(parts.map((p) => (p.length > 300 ? p.slice(0, r.int(300)) : p)).join(r.pick(seps)));
  }
  return out;
}

/**
 * Each code point between letters ("xa" + c + "ab"), 32 to a text: whether Rust drops it (controls), splits at it
 * (whitespace, punctuation, CJK), strips it (nonspacing marks) or keeps it in the word shows in the ids. Every code
 * point of planes 0–3 and 14 (lone surrogates included); of the unassigned and private-use planes, the edges and a sample.
 */
function everyCodePoint(): string[] {
  const cps = [...range(0, 0x3ffff), ...range(0xe0000, 0xeffff)];
  for (let plane = 4; plane <= 16; plane++) {
    if (plane === 14) continue;
    const base = plane * 0x10000;
    cps.push(...range(base, base + 255), ...range(base + 0xff00, base + 0xffff));
    for (let c = base + 256; c < base + 0xff00; c += 997) cps.push(c);
  }
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += 32)
    out.push(
      cps
        .slice(i, i + 32)
        .map((c) => `xa${cp(c)}ab`)
        .join(" "),
    );
  return out;
}

/** The parity cases, in a fixed order: the Node setup and the workerd test index them the same way. */
export function tokenizerCases(): TokenizerCase[] {
  const r = rng(0x5eed);
  const groups: Record<string, string[]> = {
    english: english(r),
    accents: accents(r),
    cjk: cjk(r),
    emoji: emoji(r),
    punctuation: punctuation(r),
    controls: controls(r),
    "zero-width": zeroWidth(r),
    whitespace: whitespace(r),
    "long words": longWords(r),
    scripts: scripts(r),
    numbers: numbers(r),
    "urls and code": code(r),
    "lone surrogates": loneSurrogates(r),
    "private use and noncharacters": privateUse(r),
    "very long": veryLong(r),
    truncation: truncation(),
    "special tokens": specialTokens(),
  };
  groups.mixed = mixed(r, Object.values(groups));
  groups["every code point"] = everyCodePoint();
  return Object.entries(groups).flatMap(([category, texts]) => texts.map((text) => ({ category, text })));
}

/** FNV-1a over UTF-16 code units: lets the workerd test check that it generated the very texts Node encoded. */
export function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
