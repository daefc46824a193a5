// litellm_settings.content_policy: blocked words and phrases, `incoming` checked in the request and
// `outgoing` in the answer. Case-insensitive, whole words (./words.ts). Always on.
import type { SpecOf } from "../spec";
import type { Guardrail } from "../types";
import { localGuardrail } from "./local-guardrail";
import { wordDetector } from "./words";

export function blockWordsGuardrail(spec: SpecOf<"block_words">): Guardrail {
  const detector = (side: string, words: string[]) =>
    wordDetector(words.map((word) => ({ word, data: side })), (s) => ({ block: true, replacement: "", label: `a blocked word (${s} content policy)` }));
  return localGuardrail(spec, [detector("incoming", spec.incoming)], [detector("outgoing", spec.outgoing)]);
}
