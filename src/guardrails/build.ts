// Once per isolate: the compiled specs become ready guardrails (regexes compiled, word lists made
// into matchers, `os.environ/NAME` secrets resolved). Nothing here runs per request.
import { blockWordsGuardrail } from "./local/block-words";
import { contentFilterGuardrail } from "./local/content-filter";
import { piiMaskGuardrail } from "./local/pii-mask";
import { promptInjectionGuardrail } from "./local/prompt-injection";
import { aporiaGuardrail } from "./remote/aporia";
import { bedrockGuardrail } from "./remote/bedrock";
import { genericApiGuardrail } from "./remote/generic-api";
import { lakeraGuardrail } from "./remote/lakera";
import { openaiModerationGuardrail } from "./remote/openai-moderation";
import { presidioGuardrail } from "./remote/presidio";
import type { Resolve } from "./remote/remote-guardrail";
import type { GuardrailSpec } from "./spec";
import type { Guardrail } from "./types";

export function buildGuardrail(spec: GuardrailSpec, resolve: Resolve): Guardrail {
  switch (spec.kind) {
    case "block_words":
      return blockWordsGuardrail(spec);
    case "content_filter":
      return contentFilterGuardrail(spec);
    case "pii_mask":
      return piiMaskGuardrail(spec);
    case "prompt_injection":
      return promptInjectionGuardrail(spec);
    case "presidio":
      return presidioGuardrail(spec, resolve);
    case "aporia":
      return aporiaGuardrail(spec, resolve);
    case "lakera":
      return lakeraGuardrail(spec, resolve);
    case "bedrock":
      return bedrockGuardrail(spec, resolve);
    case "openai_moderation":
      return openaiModerationGuardrail(spec, resolve);
    case "generic_api":
      return genericApiGuardrail(spec, resolve);
  }
}

/** `os.environ/NAME` from the Worker's env (secrets, vars), else the value as written. */
export function envResolver(env: Record<string, unknown>, fallback: Record<string, string> = {}): Resolve {
  return (value) => {
    if (value === undefined || !value.startsWith("os.environ/")) return value;
    const name = value.slice("os.environ/".length);
    const found = env[name];
    return typeof found === "string" && found ? found : fallback[name];
  };
}
