// A blocked-word list as one case-insensitive regex with word boundaries. Measured on a 27 KB agent
// prompt: ~12 µs for 5 words and for 2,000 words, where the npm Aho-Corasick packages took 0.8 ms
// (ahocorasick) and 80+ ms (modern-ahocorasick, grapheme-aware), and a `u`-flag regex 0.2-4.5 ms.
import type { CallState } from "../types";
import type { Detector, Finding } from "./detector";

/** Letters that make a word go on: ASCII word characters, Latin-1/Extended, Greek, Cyrillic. */
const WORD = "A-Za-z0-9_\\u00C0-\\u024F\\u0370-\\u03FF\\u0400-\\u04FF";
const isWordChar = (c: string) => new RegExp(`[${WORD}]`).test(c);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Lower case, runs of whitespace as one space: the key a matched text is looked up by. */
export const normalizeWord = (s: string) => s.toLowerCase().replace(/\s+/g, " ").trim();

export interface WordEntry<T> {
  word: string;
  data: T;
}

/**
 * Finds whole-word, case-insensitive occurrences of the listed words or phrases (a space in a phrase
 * matches any whitespace). A word edge that is a letter or digit must not touch another one, so
 * "secret" does not match "secretary"; an edge like "+" or "|" matches anywhere.
 */
export function wordDetector<T>(entries: readonly WordEntry<T>[], toFinding: (data: T, state: CallState) => Omit<Finding, "start" | "end">): Detector {
  const byKey = new Map<string, T>();
  const groups = new Map<string, string[]>();
  let window = 0;
  for (const { word, data } of entries) {
    const key = normalizeWord(word);
    if (!key || byKey.has(key)) continue;
    byKey.set(key, data);
    window = Math.max(window, key.length);
    const edges = `${isWordChar(key[0]) ? 1 : 0}${isWordChar(key[key.length - 1]) ? 1 : 0}`;
    const list = groups.get(edges) ?? [];
    list.push(key.split(" ").map(escape).join("\\s+"));
    groups.set(edges, list);
  }
  // Longest first, so a phrase wins over a word it starts with.
  const parts = [...groups].map(([edges, words]) => {
    const body = `(?:${words.sort((a, b) => b.length - a.length).join("|")})`;
    return `${edges[0] === "1" ? `(?<![${WORD}])` : ""}${body}${edges[1] === "1" ? `(?![${WORD}])` : ""}`;
  });
  const re = parts.length ? new RegExp(parts.join("|"), "gi") : undefined;
  return {
    // Phrases may be spread by extra whitespace; a few characters of slack cover the usual case.
    window: window + 8,
    scan(text, state, out) {
      if (!re) return;
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        const data = byKey.get(normalizeWord(m[0]));
        if (data !== undefined) out.push({ start: m.index, end: m.index + m[0].length, ...toFinding(data, state) });
      }
    },
  };
}
