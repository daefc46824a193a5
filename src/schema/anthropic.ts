// Anthropic's Messages API wire format: the request schema /v1/messages validates, and the types of
// what Anthropic answers (messages, SSE events, errors). Objects are loose so fields this gateway does
// not translate (citations, server tools, containers, ...) still reach an anthropic/ deployment.
import { z } from "zod";
import { modelNameSchema } from "./openai";

const cacheControl = z.looseObject({ type: z.string() }).optional();

/** Any content block; the ones the OpenAI translation reads are typed in `ContentBlock` below. */
const contentBlockSchema = z.looseObject({ type: z.string().min(1) });

export const messageParamSchema = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});

const textBlockParamSchema = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: cacheControl });

export const toolParamSchema = z.looseObject({
  name: z.string().min(1),
  /** Custom tools have none or "custom"; server tools (web_search_..., bash_...) have a versioned type. */
  type: z.string().optional(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  cache_control: cacheControl,
});

export const toolChoiceParamSchema = z.looseObject({
  type: z.enum(["auto", "any", "tool", "none"]),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

export const messagesRequestSchema = z.looseObject({
  model: modelNameSchema,
  messages: z.array(messageParamSchema).min(1, "messages must have at least one message"),
  /** Required by Anthropic; the gateway fills it in when absent (model_info.max_output_tokens, else 4096). */
  max_tokens: z.number().int().min(1).optional(),
  system: z.union([z.string(), z.array(textBlockParamSchema)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  tools: z.array(toolParamSchema).optional(),
  tool_choice: toolChoiceParamSchema.optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
  thinking: z
    .looseObject({ type: z.string(), budget_tokens: z.number().int().min(0).optional() })
    .optional(),
});

/** /v1/messages/count_tokens takes the same fields minus generation settings. */
export const countTokensRequestSchema = messagesRequestSchema.omit({ max_tokens: true, stream: true });

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type MessageParam = z.infer<typeof messageParamSchema>;

// ---- content blocks (requests and responses) ----

export type ImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

export type ContentBlock =
  | { type: "text"; text: string; cache_control?: { type: string } }
  | { type: "image"; source: ImageSource; cache_control?: { type: string } }
  | { type: "document"; source: ImageSource | { type: "text"; media_type: string; data: string }; title?: string; cache_control?: { type: string } }
  | { type: "tool_use"; id: string; name: string; input: unknown; cache_control?: { type: string } }
  | { type: "tool_result"; tool_use_id: string; content?: string | ContentBlock[]; is_error?: boolean; cache_control?: { type: string } }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal" | "model_context_window_exceeded";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}
