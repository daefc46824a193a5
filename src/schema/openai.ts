// OpenAI's wire format: request schemas (validated on every call) and response types.
// Objects are loose so provider-specific extras (top_k, repetition_penalty, ...) survive to the adapter.
import { z } from "zod";
import { modelNameProblem } from "../lib/input-limits";
import { requestGuardrailsSchema } from "./guardrails";

const nonNegInt = z.number().int().min(0);

/** A model name a client sends: it reaches response headers, log lines, KV keys and (wildcards) upstream URLs. */
export const modelNameSchema = z
  .string()
  .min(1, "model is required")
  .superRefine((name, ctx) => {
    const problem = modelNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const toolCallSchema = z.looseObject({
  id: z.string().optional(),
  type: z.literal("function").optional(),
  index: z.number().int().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

export const contentPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  image_url: z.union([z.string(), z.looseObject({ url: z.string(), detail: z.string().optional() })]).optional(),
});

export const messageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  tool_call_id: z.string().optional(),
});

export const toolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
]);

export const responseFormatSchema = z.looseObject({
  type: z.enum(["text", "json_object", "json_schema"]),
  json_schema: z
    .looseObject({ name: z.string(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullable().optional() })
    .optional(),
});

const stopSchema = z.union([z.string(), z.array(z.string()).max(16)]).nullable();

/** Per-request routing controls LiteLLM accepts in the body; stripped before the provider sees it. */
export const gatewayParamsShape = {
  // Fallback names are model names too (a wildcard fallback group echoes them in headers).
  fallbacks: z.array(z.union([modelNameSchema, z.looseObject({ model: modelNameSchema.optional() })])).optional(),
  num_retries: nonNegInt.optional(),
  timeout: z.number().positive().optional(),
  disable_fallbacks: z.boolean().optional(),
  mock_testing_fallbacks: z.boolean().optional(),
  cache: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  drop_params: z.boolean().optional(),
  /** Guardrails to run on this call (src/guardrails/select.ts). */
  guardrails: requestGuardrailsSchema.optional(),
};
export const GATEWAY_PARAMS: ReadonlySet<string> = new Set(Object.keys(gatewayParamsShape));

const common = {
  model: modelNameSchema,
  user: z.string().optional(),
  ...gatewayParamsShape,
};

export const chatRequestSchema = z.looseObject({
  ...common,
  messages: z.array(messageSchema).min(1, "messages must have at least one message"),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: nonNegInt.nullable().optional(),
  max_completion_tokens: nonNegInt.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  stop: stopSchema.optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormatSchema.optional(),
  reasoning_effort: z.string().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: nonNegInt.nullable().optional(),
});

export const completionRequestSchema = z.looseObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int()), z.array(z.array(z.number().int()))]),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: nonNegInt.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  stop: stopSchema.optional(),
  suffix: z.string().nullable().optional(),
  echo: z.boolean().nullable().optional(),
  seed: z.number().int().nullable().optional(),
});

export const embeddingRequestSchema = z.looseObject({
  ...common,
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
export type ToolCall = z.infer<typeof toolCallSchema>;
export type Tool = z.infer<typeof toolSchema>;

// ---- responses (what the gateway sends back; adapters produce these) ----

export const usageSchema = z.looseObject({
  prompt_tokens: nonNegInt,
  completion_tokens: nonNegInt,
  total_tokens: nonNegInt,
  prompt_tokens_details: z.looseObject({ cached_tokens: nonNegInt.optional() }).nullable().optional(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: nonNegInt.optional() }).nullable().optional(),
});

export const finishReasonSchema = z.enum(["stop", "length", "tool_calls", "content_filter", "function_call"]).nullable();

export const assistantMessageSchema = z.looseObject({
  role: z.literal("assistant"),
  content: z.string().nullable(),
  tool_calls: z.array(toolCallSchema).optional(),
  reasoning_content: z.string().optional(),
});

export const chatCompletionSchema = z.looseObject({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({ index: z.number().int(), message: assistantMessageSchema, finish_reason: finishReasonSchema, logprobs: z.unknown().optional() }),
  ),
  usage: usageSchema.optional(),
  system_fingerprint: z.string().nullable().optional(),
});

export const chatChunkSchema = z.looseObject({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      delta: z.looseObject({
        role: z.literal("assistant").optional(),
        content: z.string().nullable().optional(),
        reasoning_content: z.string().optional(),
        tool_calls: z.array(toolCallSchema.partial({ function: true }).extend({ index: z.number().int() })).optional(),
      }),
      finish_reason: finishReasonSchema,
    }),
  ),
  usage: usageSchema.nullable().optional(),
});

export const textCompletionSchema = z.looseObject({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.looseObject({ index: z.number().int(), text: z.string(), finish_reason: finishReasonSchema, logprobs: z.unknown().nullable().optional() })),
  usage: usageSchema.optional(),
});

export const embeddingResponseSchema = z.looseObject({
  object: z.literal("list"),
  model: z.string(),
  data: z.array(z.looseObject({ object: z.literal("embedding"), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
  usage: z.looseObject({ prompt_tokens: nonNegInt, total_tokens: nonNegInt }),
});

export type Usage = z.infer<typeof usageSchema>;
export type FinishReason = z.infer<typeof finishReasonSchema>;
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;
export type ChatCompletionChunk = z.infer<typeof chatChunkSchema>;
export type TextCompletion = z.infer<typeof textCompletionSchema>;
export type EmbeddingResponse = z.infer<typeof embeddingResponseSchema>;

/** LiteLLM's `thinking_blocks` on assistant messages: Anthropic thinking with its signature, kept for round trips. */
export interface ThinkingBlock {
  type: "thinking" | "redacted_thinking";
  thinking?: string;
  signature?: string;
  data?: string;
}
