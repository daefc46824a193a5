// OpenAI's Responses API wire format (POST /v1/responses): the request schema, validated on every
// call, and the shapes the gateway answers with. Objects are loose so fields OpenAI adds reach a
// native deployment untouched. Item, content-part, tool and format types the chat-completions bridge
// translates are checked here; any other type (web_search_call, computer_call_output, mcp, ...) passes
// validation for native deployments and is refused by name on bridged ones (request.ts).
// (Moves to src/schema/responses.ts with the restructuring.)
import { z } from "zod";
import { durationSchema } from "../lib/duration";
import { gatewayParamsShape, modelNameSchema } from "./openai";

const nonNegInt = z.number().int().min(0);

/** A value whose variants differ by `type`: known types are checked by their schema, unknown ones pass as loose objects. */
type Other = { type: string; [key: string]: unknown };

function byType<S extends Record<string, z.ZodType<object>>>(schemas: S, defaultType?: keyof S & string) {
  return z.looseObject({ type: z.string().optional() }).transform((value, ctx): z.infer<S[keyof S]> | Other => {
    const type = value.type ?? defaultType;
    if (type === undefined) {
      ctx.issues.push({ code: "custom", message: "type is required", path: ["type"], input: value });
      return z.NEVER;
    }
    const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
    if (!schema) return { ...value, type };
    const parsed = schema.safeParse({ ...value, type });
    if (parsed.success) return parsed.data as z.infer<S[keyof S]>;
    // `continue`: a union around this (input: string | items) then reports these issues, not "Invalid input".
    for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: value, continue: true } as never);
    return z.NEVER;
  });
}

// ---- content parts ----

export const inputTextSchema = z.looseObject({ type: z.literal("input_text"), text: z.string() });
export const inputImageSchema = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().nullable().optional(),
  file_id: z.string().nullable().optional(),
  detail: z.enum(["low", "high", "auto", "original"]).nullable().optional(),
});
export const inputFileSchema = z.looseObject({
  type: z.literal("input_file"),
  file_data: z.string().nullable().optional(),
  file_id: z.string().nullable().optional(),
  file_url: z.string().nullable().optional(),
  filename: z.string().nullable().optional(),
});
export const outputTextSchema = z.looseObject({
  type: z.literal("output_text"),
  text: z.string(),
  annotations: z.array(z.looseObject({ type: z.string() })).optional(),
});
export const refusalSchema = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

const contentPartSchema = byType({
  input_text: inputTextSchema,
  input_image: inputImageSchema,
  input_file: inputFileSchema,
  output_text: outputTextSchema,
  refusal: refusalSchema,
});
export type ContentPart = z.infer<typeof contentPartSchema>;

// ---- input items ----

const itemStatus = z.enum(["in_progress", "completed", "incomplete"]);

/** A message; `type` may be omitted (OpenAI's "easy input message"). */
export const messageItemSchema = z.looseObject({
  type: z.literal("message"),
  id: z.string().nullable().optional(),
  role: z.enum(["user", "system", "developer", "assistant"]),
  content: z.union([z.string(), z.array(contentPartSchema)]),
  status: itemStatus.nullable().optional(),
});

export const functionCallItemSchema = z.looseObject({
  type: z.literal("function_call"),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: itemStatus.nullable().optional(),
});

export const functionCallOutputItemSchema = z.looseObject({
  type: z.literal("function_call_output"),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPartSchema)]),
  status: itemStatus.nullable().optional(),
});

const summaryTextSchema = z.looseObject({ type: z.string(), text: z.string() });

export const reasoningItemSchema = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().nullable().optional(),
  summary: z.array(summaryTextSchema),
  content: z.array(summaryTextSchema).nullable().optional(),
  encrypted_content: z.string().nullable().optional(),
  status: itemStatus.nullable().optional(),
});

/** An item of a stored response, by id. */
export const itemReferenceSchema = z.looseObject({ type: z.literal("item_reference"), id: z.string().min(1) });

export const inputItemSchema = byType(
  {
    message: messageItemSchema,
    function_call: functionCallItemSchema,
    function_call_output: functionCallOutputItemSchema,
    reasoning: reasoningItemSchema,
    item_reference: itemReferenceSchema,
  },
  "message",
);

export type InputItem = z.infer<typeof inputItemSchema>;
export type MessageItem = z.infer<typeof messageItemSchema>;
export type FunctionCallItem = z.infer<typeof functionCallItemSchema>;
export type FunctionCallOutputItem = z.infer<typeof functionCallOutputItemSchema>;
export type ReasoningItem = z.infer<typeof reasoningItemSchema>;

// ---- tools, tool_choice, text format, reasoning ----

export const functionToolSchema = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

/** Function tools are checked; built-in ones (web_search, file_search, computer_use_preview, mcp, ...) pass for native deployments. */
export const toolSchema = byType({ function: functionToolSchema });
export type FunctionTool = z.infer<typeof functionToolSchema>;
export type ResponsesTool = z.infer<typeof toolSchema>;

/** A mode, a function by name, a subset of the tools (allowed_tools), or a built-in tool's type (native only). */
export const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  byType({
    function: z.looseObject({ type: z.literal("function"), name: z.string().min(1) }),
    allowed_tools: z.looseObject({
      type: z.literal("allowed_tools"),
      mode: z.enum(["auto", "required"]),
      tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })),
    }),
  }),
]);

export const textFormatSchema = byType({
  text: z.looseObject({ type: z.literal("text") }),
  json_object: z.looseObject({ type: z.literal("json_object") }),
  json_schema: z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullable().optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const reasoningSchema = z.looseObject({
  effort: z.string().nullable().optional(),
  summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(),
  generate_summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(),
});

// ---- the request ----

/** LiteLLM's routing controls (fallbacks, num_retries, ...) are accepted too; `metadata` is OpenAI's here. */
const { metadata: _litellmMetadata, ...gatewayParams } = gatewayParamsShape;

export const responsesRequestSchema = z.looseObject({
  ...gatewayParams,
  model: modelNameSchema,
  input: z.union([z.string(), z.array(inputItemSchema)], { error: "input must be a string or an array of input items" }).optional(),
  instructions: z.string().nullable().optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  max_output_tokens: nonNegInt.nullable().optional(),
  reasoning: reasoningSchema.nullable().optional(),
  text: z.looseObject({ format: textFormatSchema.optional(), verbosity: z.enum(["low", "medium", "high"]).nullable().optional() }).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  store: z.boolean().nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullable().optional(),
  user: z.string().nullable().optional(),
  truncation: z.enum(["auto", "disabled"]).nullable().optional(),
  include: z.array(z.string()).nullable().optional(),
  background: z.boolean().nullable().optional(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

// ---- what the gateway answers ----

export const responseUsageSchema = z.looseObject({
  input_tokens: nonNegInt,
  input_tokens_details: z.looseObject({ cached_tokens: nonNegInt, cache_write_tokens: nonNegInt }),
  output_tokens: nonNegInt,
  output_tokens_details: z.looseObject({ reasoning_tokens: nonNegInt }),
  total_tokens: nonNegInt,
});

const count = nonNegInt.optional();

/** Usage as a native deployment reports it: lenient, older answers lack cache_write_tokens, some servers the details. */
export const reportedUsageSchema = z.looseObject({
  input_tokens: count,
  output_tokens: count,
  total_tokens: count,
  input_tokens_details: z.looseObject({ cached_tokens: count, cache_write_tokens: count }).nullable().optional(),
  output_tokens_details: z.looseObject({ reasoning_tokens: count }).nullable().optional(),
});

const outputTextPartSchema = z.object({ type: z.literal("output_text"), text: z.string(), annotations: z.array(z.never()), logprobs: z.array(z.never()) });

export const outputMessageSchema = z.object({
  type: z.literal("message"),
  id: z.string(),
  role: z.literal("assistant"),
  status: itemStatus,
  content: z.array(z.union([outputTextPartSchema, z.object({ type: z.literal("refusal"), refusal: z.string() })])),
});

export const outputFunctionCallSchema = z.object({
  type: z.literal("function_call"),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: itemStatus,
});

export const outputReasoningSchema = z.object({
  type: z.literal("reasoning"),
  id: z.string(),
  summary: z.array(z.object({ type: z.literal("summary_text"), text: z.string() })),
  /** The gateway's own encoding of provider reasoning state (Anthropic thinking signatures): see request.ts. */
  encrypted_content: z.string().optional(),
  status: itemStatus.optional(),
});

/** What the bridge produces; a native deployment's output can hold any OpenAI item. */
export const outputItemSchema = z.discriminatedUnion("type", [outputMessageSchema, outputFunctionCallSchema, outputReasoningSchema]);

export const responseErrorSchema = z.object({ code: z.string(), message: z.string() });

export const responseObjectSchema = z.looseObject({
  id: z.string(),
  object: z.literal("response"),
  created_at: z.number().int(),
  status: z.enum(["completed", "failed", "in_progress", "incomplete"]),
  error: responseErrorSchema.nullable(),
  incomplete_details: z.object({ reason: z.enum(["max_output_tokens", "content_filter"]) }).nullable(),
  instructions: z.string().nullable(),
  max_output_tokens: z.number().nullable(),
  model: z.string(),
  output: z.array(outputItemSchema),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.string().nullable(),
  reasoning: z.looseObject({ effort: z.string().nullable(), summary: z.string().nullable() }),
  store: z.boolean(),
  temperature: z.number().nullable(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }) }),
  tool_choice: toolChoiceSchema,
  tools: z.array(toolSchema),
  top_p: z.number().nullable(),
  truncation: z.enum(["auto", "disabled"]),
  usage: responseUsageSchema.nullable(),
  user: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});

export type ResponseUsage = z.infer<typeof responseUsageSchema>;
export type ReportedUsage = z.infer<typeof reportedUsageSchema>;
export type OutputItem = z.infer<typeof outputItemSchema>;
export type OutputMessage = z.infer<typeof outputMessageSchema>;
export type OutputFunctionCall = z.infer<typeof outputFunctionCallSchema>;
export type OutputReasoning = z.infer<typeof outputReasoningSchema>;
export type ResponseObject = z.infer<typeof responseObjectSchema>;

/** GET /v1/responses/{id}/input_items query (OpenAI's cursor page: newest first by default). */
export const inputItemsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("desc"),
  after: z.string().min(1).optional(),
  before: z.string().min(1).optional(),
});

export type InputItemsQuery = z.input<typeof inputItemsQuerySchema>;

// ---- config: the Responses API's settings (composed into src/schema/config.ts) ----

/** model_info keys: which endpoints a deployment serves itself (LiteLLM's supported_endpoints: "/v1/responses" makes it native). */
export const responsesModelInfoShape = {
  supported_endpoints: z.array(z.string()).optional(),
};

/** general_settings keys: how long stored responses (previous_response_id, GET /v1/responses/{id}) are kept; OpenAI keeps 30 days. */
export const responsesSettingsShape = {
  responses_store_ttl: durationSchema.optional(),
};
