// LiteLLM's built-in `litellm_content_filter` (and `hide-secrets`, which is this filter masking the
// secret shapes): prebuilt patterns and custom regexes, blocked words inline or from a file bundled at
// build time, each with BLOCK (the call fails) or MASK ([EMAIL_REDACTED], [KEYWORD_REDACTED]).
// Differences from LiteLLM: blocked words match whole words (LiteLLM matches substrings, so
// "secret" blocks "secretary"), and card numbers must pass the Luhn check (./patterns.ts).
import type { SpecOf } from "../spec";
import type { Guardrail } from "../types";
import { regexDetector, type Detector } from "./detector";
import { localGuardrail } from "./local-guardrail";
import { prebuiltPattern, type PatternDef } from "./patterns";
import { wordDetector } from "./words";

/** Window for a custom regex: occurrences longer than this, split across streamed deltas, are missed. */
const CUSTOM_WINDOW = 64;

export function contentFilterGuardrail(spec: SpecOf<"content_filter">): Guardrail {
  const detectors: Detector[] = spec.patterns.map((p) => {
    const def: PatternDef = p.prebuilt ? prebuiltPattern(p.prebuilt)! : { source: p.regex!, flags: "i", window: CUSTOM_WINDOW };
    const label = `${p.name} pattern detected`;
    const replacement = spec.patternFormat.replaceAll("{pattern_name}", p.name.toUpperCase());
    return regexDetector(def, () => (p.action === "BLOCK" ? { block: true, replacement: "", label } : { block: false, replacement, label }));
  });
  if (spec.words.length) {
    detectors.push(
      wordDetector(spec.words.map((w) => ({ word: w.keyword, data: w })), (w) => ({
        block: w.action === "BLOCK",
        replacement: spec.keywordTag,
        label: `blocked word detected${w.description ? ` (${w.description})` : ""}`,
      })),
    );
  }
  return localGuardrail(spec, detectors, detectors);
}
