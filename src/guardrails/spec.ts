// A guardrail as the build step leaves it: validated, normalised, JSON (it is baked into the bundle
// with the rest of the compiled config). Secrets stay as written (`os.environ/NAME` or a literal) and
// are resolved when the isolate builds the guardrail objects (./build.ts).
import type { BlockedWord, FilterAction } from "../schema/guardrails";
import type { Hook } from "./types";

interface SpecBase {
  name: string;
  /** litellm_params.guardrail as configured (what /guardrails/list shows). */
  type: string;
  modes: Hook[];
  defaultOn: boolean;
  /** litellm_params with secrets masked, for GET /guardrails/list. */
  listParams: Record<string, unknown>;
  info?: Record<string, unknown>;
  /** Seconds to wait for a guard service. */
  timeout?: number;
}

export interface FilterPatternSpec {
  /** Prebuilt name, or the custom regex's name. */
  name: string;
  prebuilt?: string;
  /** Custom regex source (compiled case-insensitive, as LiteLLM does). */
  regex?: string;
  action: FilterAction;
}

export type PiiScope = "input" | "output" | "both";

export type GuardrailSpec = SpecBase &
  (
    | { kind: "block_words"; incoming: string[]; outgoing: string[] }
    | { kind: "content_filter"; patterns: FilterPatternSpec[]; words: BlockedWord[]; patternFormat: string; keywordTag: string }
    | { kind: "pii_mask"; entities: Record<string, FilterAction>; outputParsePii: boolean; scope: PiiScope }
    | { kind: "prompt_injection"; monitorOnly: boolean }
    | {
        kind: "presidio";
        analyzer: string;
        anonymizer: string;
        language: string;
        entities: Record<string, FilterAction>;
        thresholds: Record<string, number>;
        denyList: string[];
        outputParsePii: boolean;
        scope: PiiScope;
      }
    | { kind: "aporia"; apiBase: string; apiKey: string }
    | { kind: "lakera"; apiBase: string; apiKey: string; projectId?: string; payload: boolean; breakdown: boolean; metadata?: Record<string, unknown>; devInfo: boolean; monitorOnly: boolean }
    | {
        kind: "bedrock";
        identifier: string;
        version: string;
        region?: string;
        endpoint?: string;
        accessKeyId?: string;
        secretAccessKey?: string;
        sessionToken?: string;
        apiKey?: string;
      }
    | { kind: "openai_moderation"; apiBase: string; apiKey: string; model: string }
    | { kind: "generic_api"; apiBase: string; headers: Record<string, string>; additional: Record<string, unknown>; failOpen: boolean }
  );

export type SpecKind = GuardrailSpec["kind"];
export type SpecOf<K extends SpecKind> = Extract<GuardrailSpec, { kind: K }>;

/** What the build step hands over: the specs, and lines to print at start-up. */
export interface CompiledGuardrails {
  specs: GuardrailSpec[];
  notes: string[];
}
