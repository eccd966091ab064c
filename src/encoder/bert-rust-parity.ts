// BERT's normalizer and pre-tokenizer as Hugging Face's Rust tokenizers runs them (tokenizers/src/normalizers/bert.rs,
// tokenizers/src/pre_tokenizers/bert.rs), installed in @huggingface/tokenizers in place of its own ports. Those differ
// from Rust on what test/worker/tokenizer-parity.test.ts feeds them (2,021 of 13,695 cases before this file):
// - Unicode version: Rust classifies controls, punctuation and nonspacing marks with Unicode 8.0 tables (unicode-8.ts),
//   the JS ports with the engine's regex tables (Unicode 16 in workerd), so U+061D splits a word only in JS, U+1DF6 is
//   stripped only in JS, U+166D splits only in Rust, and Egyptian format controls vanish only in JS.
// - CJK outside the BMP (U+20000 and up): the JS port walks UTF-16 units and never spaces them out; Rust does.
// - Lowercasing: Rust maps char by char, String.prototype.toLowerCase turns a word-final Σ into ς.
// - Lone surrogates: a Rust String cannot hold them; the Node binding hands each to Rust as U+FFFD (see toRustString).
import { Normalizer, PreTokenizer } from "@huggingface/tokenizers";
import { NONSPACING_MARK, OTHER, PUNCTUATION } from "./unicode-8.ts";

/** A tokenizer.json `BertNormalizer`; absent fields take Rust's defaults. */
export interface BertNormalizerJson {
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  /** null: strip when lowercasing. */
  strip_accents?: boolean | null;
  lowercase?: boolean;
}

/** `char::is_whitespace` (Unicode White_Space, which has not changed since 6.3). */
function isWhitespace(cp: number): boolean {
  return (
    cp === 0x20 ||
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** bert.rs `is_control`: Cc, Cf and Co, less tab, newline and carriage return (whitespace to BERT). */
function isControl(cp: number): boolean {
  return cp !== 0x09 && cp !== 0x0a && cp !== 0x0d && OTHER.has(cp);
}

/** bert.rs `is_bert_punc`: ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or Unicode P*. */
function isPunctuation(cp: number): boolean {
  return (cp >= 0x21 && cp <= 0x2f) || (cp >= 0x3a && cp <= 0x40) || (cp >= 0x5b && cp <= 0x60) || (cp >= 0x7b && cp <= 0x7e) || PUNCTUATION.has(cp);
}

/** bert.rs `is_chinese_char`: the CJK ideograph blocks BERT spaces out (Rust's ranges, not the JS port's). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * The text as Rust receives it from JavaScript: every lone surrogate replaced by U+FFFD, as the Node binding's UTF-16 →
 * UTF-8 conversion does (clean_text then drops it).
 */
export function toRustString(text: string): string {
  return text.replace(/[\ud800-\udfff]/gu, "\ufffd");
}

/** bert.rs `BertNormalizer`: clean text, space out CJK, strip accents, lowercase — in that order. */
export class RustBertNormalizer extends Normalizer {
  private readonly cleanText: boolean;
  private readonly handleChineseChars: boolean;
  private readonly stripAccents: boolean;
  private readonly lowercase: boolean;

  constructor(json: BertNormalizerJson) {
    super({ type: "BertNormalizer" });
    this.cleanText = json.clean_text ?? true;
    this.handleChineseChars = json.handle_chinese_chars ?? true;
    this.lowercase = json.lowercase ?? true;
    this.stripAccents = json.strip_accents ?? this.lowercase;
  }

  normalize(text: string): string {
    let out = "";
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (this.cleanText) {
        if (cp === 0 || cp === 0xfffd || isControl(cp)) continue;
        if (isWhitespace(cp)) {
          out += " ";
          continue;
        }
      }
      out += this.handleChineseChars && isChineseChar(cp) ? ` ${ch} ` : ch;
    }
    if (this.stripAccents) {
      let kept = "";
      for (const ch of out.normalize("NFD")) if (!NONSPACING_MARK.has(ch.codePointAt(0)!)) kept += ch;
      out = kept;
    }
    // Rust lowercases char by char (char::to_lowercase). The final-sigma rule is the only context toLowerCase looks at,
    // and it only ever applies to Σ: lowercasing every Σ first leaves it nothing to do.
    return this.lowercase ? out.replaceAll("Σ", "σ").toLowerCase() : out;
  }
}

/** bert.rs `BertPreTokenizer`: split on whitespace (dropped) and on punctuation (each char its own word). */
export class RustBertPreTokenizer extends PreTokenizer {
  pre_tokenize_text(text: string): string[] {
    const words: string[] = [];
    let word = "";
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      const space = isWhitespace(cp);
      if (space || isPunctuation(cp)) {
        if (word) words.push(word);
        if (!space) words.push(ch);
        word = "";
      } else {
        word += ch;
      }
    }
    if (word) words.push(word);
    return words;
  }
}
