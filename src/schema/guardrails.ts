// LiteLLM's guardrail configuration, as zod schemas (composed into src/schema/config.ts):
//   guardrails:                      top level, LiteLLM's current list
//   litellm_settings.guardrails:     the older list: the same entries, or {name: {callbacks: [...]}}
//   litellm_settings.content_policy: {incoming|outgoing: {block_words: [...]}}
// and the request/key/team fields that select guardrails. Field names are LiteLLM's
// (litellm/types/guardrails.py), so a pasted config parses. Objects are loose: LiteLLM has dozens
// of per-integration fields; compile.ts reports the ones no guardrail here acts on.
import { z } from "zod";

/** A string, or `os.environ/NAME` resolved from the Worker's env when the isolate builds the guardrails. */
const str = z.string();

const upper = (v: unknown) => (typeof v === "string" ? v.toUpperCase() : v);
const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

export const filterActionSchema = z.preprocess(upper, z.enum(["BLOCK", "MASK"]));

export const contentFilterPatternSchema = z.looseObject({
  pattern_type: z.preprocess(lower, z.enum(["prebuilt", "regex"])),
  /** Prebuilt pattern (us_ssn, email, phone, visa, mastercard, amex, aws_access_key, ...). */
  pattern_name: z.string().optional(),
  /** Custom regex (pattern_type: regex). */
  pattern: z.string().optional(),
  /** Name of a custom regex, in errors and in its mask ([NAME_REDACTED]). */
  name: z.string().optional(),
  action: filterActionSchema,
});

export const blockedWordSchema = z.looseObject({
  keyword: z.string().min(1),
  action: filterActionSchema,
  description: z.string().optional(),
});

/** The file `blocked_words_file` points at (read at build time and bundled). */
export const blockedWordsFileSchema = z.looseObject({ blocked_words: z.array(blockedWordSchema) });

const modeName = z.preprocess(lower, z.string());
export const modeSchema = z.union([
  modeName,
  z.array(modeName).min(1),
  /** LiteLLM's tag-based modes; only `default` is used here. */
  z.looseObject({ tags: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(), default: z.union([modeName, z.array(modeName)]).optional() }),
]);

const seconds = z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), z.number().positive());

export const guardrailParamsSchema = z.looseObject({
  /** The integration: litellm_content_filter, presidio, lakera_v2, aporia, bedrock, openai_moderation, ... */
  guardrail: z.string().min(1),
  mode: modeSchema,
  default_on: z.boolean().optional(),
  api_key: str.optional(),
  api_base: str.optional(),
  /** Seconds to wait for a guard service. */
  timeout: seconds.optional(),
  // litellm_content_filter
  patterns: z.array(contentFilterPatternSchema).optional(),
  blocked_words: z.array(blockedWordSchema).optional(),
  blocked_words_file: z.string().optional(),
  pattern_redaction_format: z.string().optional(),
  keyword_redaction_tag: z.string().optional(),
  categories: z.array(z.unknown()).optional(),
  // presidio
  presidio_analyzer_api_base: str.optional(),
  presidio_anonymizer_api_base: str.optional(),
  output_parse_pii: z.boolean().optional(),
  pii_entities_config: z.record(z.string(), filterActionSchema).optional(),
  presidio_language: z.string().optional(),
  presidio_score_thresholds: z.record(z.string(), z.number()).optional(),
  presidio_entities_deny_list: z.array(z.string()).optional(),
  presidio_filter_scope: z.enum(["input", "output", "both"]).optional(),
  presidio_run_on: z.enum(["input", "output", "both"]).optional(),
  // lakera_v2
  project_id: z.string().optional(),
  payload: z.boolean().optional(),
  breakdown: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  dev_info: z.boolean().optional(),
  on_flagged: z.preprocess(lower, z.enum(["block", "monitor"])).optional(),
  // bedrock
  guardrailIdentifier: z.string().optional(),
  guardrailVersion: z.union([z.string(), z.number()]).transform(String).optional(),
  aws_region_name: str.optional(),
  aws_access_key_id: str.optional(),
  aws_secret_access_key: str.optional(),
  aws_session_token: str.optional(),
  aws_bedrock_runtime_endpoint: str.optional(),
  // openai_moderation
  model: z.string().optional(),
  // generic_guardrail_api
  headers: z.record(z.string(), str).optional(),
  additional_provider_specific_params: z.record(z.string(), z.unknown()).optional(),
  unreachable_fallback: z.preprocess(lower, z.enum(["fail_closed", "fail_open"])).optional(),
});

export const guardrailEntrySchema = z.looseObject({
  guardrail_name: z.string().min(1),
  guardrail_id: z.string().optional(),
  litellm_params: guardrailParamsSchema,
  /** Free-form, returned by GET /guardrails/list. */
  guardrail_info: z.record(z.string(), z.unknown()).optional(),
});

/** The oldest form: `- prompt_injection: {callbacks: [lakera_prompt_injection], default_on: true}`. */
export const legacyGuardrailItemSchema = z
  .record(
    z.string(),
    z.looseObject({
      callbacks: z.array(z.string()).min(1),
      default_on: z.boolean().optional(),
      logging_only: z.boolean().optional(),
      callback_args: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      enabled_roles: z.array(z.string()).optional(),
    }),
  )
  .refine((o) => Object.keys(o).length === 1, "expected one guardrail name per item");

const blockWords = z.looseObject({ block_words: z.array(z.string().min(1)).default([]) });

/** incoming = the request (checked before the upstream call), outgoing = the answer. */
export const contentPolicySchema = z.looseObject({ incoming: blockWords.optional(), outgoing: blockWords.optional() });

/** Schema pieces to merge into the config schema. */
export const guardrailConfigShape = {
  /** Top level: `guardrails: [...]`. */
  guardrails: z.array(guardrailEntrySchema).optional(),
  /** litellm_settings.guardrails (either entry form) and litellm_settings.content_policy. */
  litellmSettings: {
    guardrails: z.array(z.union([guardrailEntrySchema, legacyGuardrailItemSchema])).optional(),
    content_policy: contentPolicySchema.optional(),
  },
};

/** Per-request dynamic params: `{"name": {"extra_body": {...}}}`. */
const dynamicParamsSchema = z.looseObject({ extra_body: z.record(z.string(), z.unknown()).optional() });

/**
 * The `guardrails` field of a request body (or of its `metadata`): names, `{name: {extra_body}}`
 * entries, or a map of name to `{extra_body}` or to true/false (LiteLLM's older on/off switches).
 */
export const requestGuardrailsSchema = z.union([
  z.array(z.union([z.string().min(1), z.record(z.string(), dynamicParamsSchema)])),
  z.record(z.string(), z.union([z.boolean(), dynamicParamsSchema])),
]);

/** The `guardrails` field of /key/generate, /key/update, /team/new, /team/update. */
export const principalGuardrailsSchema = z.array(z.string().min(1));

export type GuardrailEntry = z.infer<typeof guardrailEntrySchema>;
export type GuardrailParams = z.infer<typeof guardrailParamsSchema>;
export type LegacyGuardrailItem = z.infer<typeof legacyGuardrailItemSchema>;
export type BlockedWord = z.infer<typeof blockedWordSchema>;
export type FilterAction = z.infer<typeof filterActionSchema>;
