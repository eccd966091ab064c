// Queries as people type them, for the end-to-end engine tests (test/engines): short and long, a question mark, an
// ampersand, accents, numbers, hyphens and abbreviations — what the tokenizer and every format must carry through.
export const ENGINE_QUERIES: readonly string[] = [
  "which planet is known as the red planet",
  "how long do cats live",
  "capital of france",
  "symptoms of vitamin d deficiency in adults",
  "python list comprehension",
  "what is the difference between a virus and bacteria?",
  "average salary of a registered nurse in texas 2019",
  "café zürich opening hours",
  "is it safe to eat raw cookie dough",
  "who wrote the declaration of independence",
  "how to convert celsius to fahrenheit",
  "define photosynthesis",
  "cheap flights from london to new york & back",
  "when did the berlin wall fall",
  "the quick brown fox jumps over the lazy dog",
  "what causes high blood pressure and how can diet and exercise reduce it over several months",
  "1997 world series winner",
  "co-operation e-mail u.s. dr. smith's well-known",
  "best time of year to visit japan for cherry blossoms",
  "how many bones are in the human body",
];
