// The rest of OpenAI's surface: request schemas of /images/generations, /audio/transcriptions and
// /translations (multipart), /audio/speech, /moderations, /rerank (Cohere's shape), /files (multipart)
// and /batches, validated on every call; and the config's per-unit prices for them (LiteLLM's
// `*_cost_per_*` keys). Objects are loose: fields a provider adds reach it untouched.
import { z } from "zod";
import { gatewayParamsShape } from "./openai";

const positive = z.number().positive();
const price = z.number().min(0).optional();

const common = { model: z.string().min(1, "model is required"), user: z.string().optional(), ...gatewayParamsShape };

export const imageRequestSchema = z.looseObject({
  ...common,
  prompt: z.string().min(1, "prompt is required"),
  n: z.number().int().min(1).max(10).nullable().optional(),
  size: z.string().nullable().optional(),
  quality: z.string().nullable().optional(),
  style: z.string().nullable().optional(),
  response_format: z.enum(["url", "b64_json"]).nullable().optional(),
  stream: z.boolean().nullable().optional(),
}).refine((b) => b.stream !== true, { message: "stream: true (partial images) is not supported; ask without it", path: ["stream"] });

/** Form fields arrive as text: numbers and booleans are read from it. */
const formNumber = z.coerce.number();
const formBool = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
/** A field holding JSON text (parsed), or the value itself when already parsed (a fallback's copy of the body). */
const formJson = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value, ctx) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.issues.push({ code: "custom", message: "expected JSON", input: value });
      return z.NEVER;
    }
  }, schema);

/** The gateway's own per-request controls, as multipart form fields. */
const formGatewayParams = {
  num_retries: formNumber.pipe(z.number().int().min(0)).optional(),
  timeout: formNumber.pipe(positive).optional(),
  disable_fallbacks: formBool.optional(),
  mock_testing_fallbacks: formBool.optional(),
  drop_params: formBool.optional(),
  fallbacks: formJson(z.array(z.union([z.string(), z.record(z.string(), z.unknown())]))).optional(),
  metadata: formJson(z.record(z.string(), z.unknown())).optional(),
  tags: formJson(z.array(z.string())).optional(),
  cache: formJson(z.record(z.string(), z.unknown())).optional(),
};

const file = z.custom<File>((v) => v instanceof File, "file is required (a multipart file field)");

export const transcriptionRequestSchema = z.looseObject({
  model: z.string().min(1, "model is required"),
  file,
  language: z.string().optional(),
  prompt: z.string().optional(),
  response_format: z.enum(["json", "text", "srt", "verbose_json", "vtt"]).optional(),
  temperature: formNumber.pipe(z.number().min(0).max(1)).optional(),
  user: z.string().optional(),
  ...formGatewayParams,
});

export const speechRequestSchema = z.looseObject({
  ...common,
  input: z.string().min(1, "input is required").max(4096, "input is at most 4096 characters"),
  voice: z.union([z.string(), z.looseObject({ id: z.string() })]),
  response_format: z.enum(["mp3", "opus", "aac", "flac", "wav", "pcm"]).optional(),
  speed: z.number().min(0.25).max(4).optional(),
  instructions: z.string().optional(),
});

export const moderationRequestSchema = z.looseObject({
  ...common,
  // OpenAI's default when the request names none.
  model: z.string().min(1).default("omni-moderation-latest"),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.looseObject({ type: z.string() })).min(1)]),
});

const rerankDocument = z.union([z.string(), z.record(z.string(), z.unknown())]);

/** Cohere's /v2/rerank request (LiteLLM's /v1/rerank). */
export const rerankRequestSchema = z.looseObject({
  ...common,
  query: z.string().min(1, "query is required"),
  documents: z.array(rerankDocument).min(1, "documents must have at least one document").max(10_000),
  top_n: z.number().int().positive().optional(),
  return_documents: z.boolean().optional(),
  rank_fields: z.array(z.string()).optional(),
  max_chunks_per_doc: z.number().int().positive().optional(),
  max_tokens_per_doc: z.number().int().positive().optional(),
});

/**
 * POST /v1/files. OpenAI's form names no model: the gateway takes the model group from
 * `target_model_names` (LiteLLM's field) or `model`, else from the requests of a batch file (their `model`).
 */
export const fileUploadSchema = z.looseObject({
  file,
  purpose: z.string().min(1, "purpose is required"),
  model: z.string().min(1).optional(),
  target_model_names: z.string().min(1).optional(),
  ...formGatewayParams,
});

/** POST /v1/batches: the model comes from the input file, which must be one this key uploaded. */
export const batchCreateSchema = z.looseObject({
  ...gatewayParamsShape,
  input_file_id: z.string().min(1, "input_file_id is required"),
  endpoint: z.string().min(1, "endpoint is required"),
  completion_window: z.string().min(1, "completion_window is required"),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** GET /v1/files and /v1/batches: OpenAI's paging. */
export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().optional(),
  purpose: z.string().optional(),
});

export type ImageRequest = z.infer<typeof imageRequestSchema>;
export type TranscriptionRequest = z.infer<typeof transcriptionRequestSchema>;
export type SpeechRequest = z.infer<typeof speechRequestSchema>;
export type ModerationRequest = z.infer<typeof moderationRequestSchema>;
export type RerankRequest = z.infer<typeof rerankRequestSchema>;
export type FileUploadRequest = z.infer<typeof fileUploadSchema>;
export type BatchCreateRequest = z.infer<typeof batchCreateSchema>;

/** Cohere's rerank answer, the shape /v1/rerank answers in for every provider. */
export interface RerankResponse {
  id: string;
  results: { index: number; relevance_score: number; document?: { text: string } | Record<string, unknown> }[];
  meta: { billed_units?: { search_units?: number; total_tokens?: number }; [key: string]: unknown };
}

/** OpenAI's images answer. */
export interface ImageResponse {
  created: number;
  data: { url?: string; b64_json?: string; revised_prompt?: string }[];
  usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number; input_tokens_details?: { text_tokens?: number; image_tokens?: number } };
  [key: string]: unknown;
}

/** OpenAI's transcription answer (json / verbose_json); `usage` is seconds for whisper-1, tokens for gpt-4o-transcribe. */
export interface TranscriptionResponse {
  text: string;
  duration?: number;
  usage?: { type: "duration"; seconds: number } | { type: "tokens"; input_tokens: number; output_tokens: number; total_tokens?: number; input_token_details?: { audio_tokens?: number; text_tokens?: number } };
  [key: string]: unknown;
}

/**
 * LiteLLM's per-unit prices, in litellm_params or model_info: per image (or per pixel), per second of
 * audio, per character of speech, per rerank query (search unit); and batch token prices.
 */
export const unitPriceShape = {
  input_cost_per_image: price,
  output_cost_per_image: price,
  input_cost_per_pixel: price,
  input_cost_per_second: price,
  output_cost_per_second: price,
  input_cost_per_character: price,
  input_cost_per_query: price,
  /** Audio tokens: transcription, and the Realtime API (src/realtime). */
  input_cost_per_audio_token: price,
  output_cost_per_audio_token: price,
  input_cost_per_token_batches: price,
  output_cost_per_token_batches: price,
};

/** model_info.mode values for these endpoints (what /health probes). */
export const ENDPOINT_MODES = ["image_generation", "audio_transcription", "audio_speech", "rerank", "moderation"] as const;
