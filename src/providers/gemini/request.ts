// Google AI Studio's Gemini API (`gemini/<model>`): POST {api_base}/v1beta/models/{model}:generateContent,
// :streamGenerateContent?alt=sse, and :batchEmbedContents, with x-goog-api-key. Field names are the
// canonical JSON (camelCase) ones; the API accepts them as well as the proto names (system_instruction,
// function_calling_config, ...). Gemini sends no tool-call ids, so the gateway makes them, carrying the
// part's thoughtSignature inside (LiteLLM's `__thought__` convention) so it can go back next turn.
import { GatewayError, badRequest } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, ChatMessage, ChatRequest, EmbeddingRequest, EmbeddingResponse, FinishReason, ToolCall, Usage } from "../../schema/openai";
import {
  fileOf,
  imageUrlOf,
  loadInlineData,
  parseToolArguments,
  partsOf,
  textOf,
  thinkingBudget,
  toolCallId,
} from "../shared/content";
import { embeddingList, textInputs } from "../shared/embeddings";
import { failureJson, plainMessage, providerError } from "../shared/errors";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, EndpointHandler, ProviderAdapter, StreamTranslator, UpstreamFailure, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "https://generativelanguage.googleapis.com";
const SIGNATURE_MARK = "__thought__";

const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop",
  "n", "presence_penalty", "frequency_penalty", "seed", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user", "reasoning_effort",
]);

interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
}

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
  error?: { code?: number; message?: string; status?: string };
}

function target(ctx: AdapterContext, method: string): Omit<UpstreamRequest, "body"> {
  const { params, model } = ctx.deployment;
  const envBase = ctx.env.GEMINI_API_BASE;
  let base = (params.api_base ?? (typeof envBase === "string" ? envBase : DEFAULT_BASE)).replace(/\/+$/, "");
  if (!/\/v1(beta|alpha)?$/.test(base)) base += "/v1beta";
  const envKey = ctx.env.GEMINI_API_KEY ?? ctx.env.GOOGLE_API_KEY;
  const key = params.api_key ?? (typeof envKey === "string" ? envKey : undefined);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers["x-goog-api-key"] = key;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  const path = model.includes("/") ? model : `models/${model}`;
  return { url: `${base}/${path}:${method}`, headers };
}

// ---- JSON Schema -> Gemini's OpenAPI subset (responseSchema, function parameters) ----

const SCHEMA_KEYS = new Set([
  "type", "format", "title", "description", "nullable", "enum", "items", "properties", "required", "anyOf", "propertyOrdering",
  "minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "minimum", "maximum", "default", "example",
]);

/**
 * Gemini takes an OpenAPI 3.0 subset: no $ref, no additionalProperties, no type arrays. Local $refs
 * are inlined, ["x","null"] becomes nullable, const becomes a one-value enum, oneOf becomes anyOf,
 * and keys Gemini does not know are dropped.
 */
export function toGeminiSchema(schema: unknown, root: Record<string, unknown> = schema as Record<string, unknown>, depth = 0): unknown {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return schema;
  if (depth > 32) throw badRequest("JSON schema is nested too deeply (or recursive) for gemini", "response_format");
  let s = schema as Record<string, unknown>;
  if (typeof s.$ref === "string") {
    const path = s.$ref.replace(/^#\//, "").split("/");
    const resolved = path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
    if (!resolved) throw badRequest(`JSON schema $ref '${s.$ref}' cannot be resolved`, "response_format");
    s = { ...(resolved as object), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === "type" && Array.isArray(value)) {
      const types = value.filter((t) => t !== "null");
      if (types.length !== value.length) out.nullable = true;
      out.type = types[0];
    } else if (key === "const") out.enum = [value];
    else if (key === "oneOf" || key === "anyOf") out.anyOf = (value as unknown[]).map((v) => toGeminiSchema(v, root, depth + 1));
    else if (key === "properties") out.properties = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toGeminiSchema(v, root, depth + 1)]));
    else if (key === "items") out.items = toGeminiSchema(value, root, depth + 1);
    else if (SCHEMA_KEYS.has(key)) out[key] = value;
  }
  return out;
}

// ---- requests ----

/** A tool-call id carrying Gemini's thought signature, and back. */
const encodeId = (id: string, signature?: string) => (signature ? `${id}${SIGNATURE_MARK}${signature}` : id);
const signatureOf = (id: string | undefined) => (id?.includes(SIGNATURE_MARK) ? id.slice(id.indexOf(SIGNATURE_MARK) + SIGNATURE_MARK.length) : undefined);

async function partsFor(content: ChatMessage["content"]): Promise<GeminiPart[]> {
  const out: GeminiPart[] = [];
  for (const part of partsOf(content)) {
    if (part.type === "text") {
      if (part.text) out.push({ text: part.text });
    } else if (part.type === "image_url") {
      const url = imageUrlOf(part);
      // Cloud Storage URIs are Gemini's own; other URLs are fetched, as Gemini takes bytes.
      if (url.startsWith("gs://")) out.push({ fileData: { mimeType: /\.png$/i.test(url) ? "image/png" : "image/jpeg", fileUri: url } });
      else {
        const { mediaType, data } = await loadInlineData(url);
        out.push({ inlineData: { mimeType: mediaType, data } });
      }
    } else if (part.type === "file" && fileOf(part)) {
      const { mediaType, data } = await loadInlineData(fileOf(part)!.data);
      out.push({ inlineData: { mimeType: mediaType, data } });
    } else {
      throw badRequest(`gemini does not accept content parts of type '${part.type}'`, "messages");
    }
  }
  return out;
}

function functionResponse(content: ChatMessage["content"]): Record<string, unknown> {
  const text = textOf(content);
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* plain text result */
  }
  return { content: text };
}

function toolConfig(choice: ChatRequest["tool_choice"]): Record<string, unknown> | undefined {
  if (choice === undefined) return undefined;
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
}

export async function toGeminiRequest(body: ChatRequest): Promise<Record<string, unknown>> {
  const system: GeminiPart[] = [];
  const contents: { role: "user" | "model"; parts: GeminiPart[] }[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: "user" | "model", parts: GeminiPart[]) => {
    if (!parts.length) return; // Gemini refuses empty parts
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of body.messages) {
    if (m.role === "system" || m.role === "developer") system.push(...(await partsFor(m.content)).filter((p) => p.text));
    else if (m.role === "user") push("user", await partsFor(m.content));
    else if (m.role === "assistant") {
      const parts: GeminiPart[] = textOf(m.content) ? [{ text: textOf(m.content) }] : [];
      for (const tc of m.tool_calls ?? []) {
        if (tc.id) toolNames.set(tc.id, tc.function.name);
        const signature = signatureOf(tc.id);
        parts.push({ functionCall: { name: tc.function.name, args: parseToolArguments(tc.function.arguments) }, ...(signature ? { thoughtSignature: signature } : {}) });
      }
      push("model", parts);
    } else {
      const name = (m.tool_call_id && toolNames.get(m.tool_call_id)) ?? m.name;
      if (!name) throw badRequest("a tool message's tool_call_id must match a tool call of an earlier assistant message", "messages");
      push("user", [{ functionResponse: { name, response: functionResponse(m.content) } }]);
    }
  }

  const b = body as Record<string, unknown>;
  const generationConfig: Record<string, unknown> = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) generationConfig.maxOutputTokens = maxTokens;
  if (body.temperature != null) generationConfig.temperature = body.temperature;
  if (body.top_p != null) generationConfig.topP = body.top_p;
  if (b.top_k != null) generationConfig.topK = b.top_k;
  if (body.stop != null) generationConfig.stopSequences = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.n != null) generationConfig.candidateCount = body.n;
  if (body.presence_penalty != null) generationConfig.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) generationConfig.frequencyPenalty = body.frequency_penalty;
  if (body.seed != null) generationConfig.seed = body.seed;
  const rf = body.response_format;
  if (rf && rf.type !== "text") {
    generationConfig.responseMimeType = "application/json";
    if (rf.type === "json_schema" && rf.json_schema?.schema) generationConfig.responseSchema = toGeminiSchema(rf.json_schema.schema);
  }
  const budget = thinkingBudget(body.reasoning_effort);
  if (budget !== undefined) generationConfig.thinkingConfig = { thinkingBudget: budget, includeThoughts: budget > 0 };

  const payload: Record<string, unknown> = { contents };
  if (system.length) payload.systemInstruction = { parts: system };
  if (body.tools?.length) {
    payload.tools = [
      {
        functionDeclarations: body.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          // Gemini refuses an object schema without properties: a function without arguments has none.
          ...(Object.keys((t.function.parameters?.properties as object | undefined) ?? {}).length ? { parameters: toGeminiSchema(t.function.parameters) } : {}),
        })),
      },
    ];
    const config = toolConfig(body.tool_choice);
    if (config) payload.toolConfig = config;
  }
  if (Object.keys(generationConfig).length) payload.generationConfig = generationConfig;
  return payload;
}

// ---- responses ----

const FINISH_REASON: Record<string, FinishReason> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  LANGUAGE: "content_filter",
};

function usageOf(u: GeminiUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.promptTokenCount ?? 0;
  const thoughts = u.thoughtsTokenCount ?? 0;
  // OpenAI counts reasoning inside completion_tokens; Gemini reports it apart.
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

function toolCallOf(part: GeminiPart, callId: string, index: number): ToolCall {
  const call = part.functionCall!;
  return { id: encodeId(call.id ?? toolCallId(callId, index), part.thoughtSignature), type: "function", function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } };
}

function inBandError(r: GeminiResponse): void {
  if (r.error) throw new GatewayError(r.error.code && r.error.code >= 400 ? r.error.code : 500, "server", `gemini error: ${r.error.message ?? "stream error"}`, { upstream: true });
}

function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = json as GeminiResponse;
  inBandError(r);
  let toolIndex = 0;
  const choices: ChatCompletion["choices"] = (r.candidates ?? []).map((c, i) => {
    const parts = c.content?.parts ?? [];
    const toolCalls = parts.filter((p) => p.functionCall).map((p) => toolCallOf(p, ctx.callId, toolIndex++));
    const text = parts.filter((p) => p.text !== undefined && !p.thought).map((p) => p.text).join("");
    const reasoning = parts.filter((p) => p.thought && p.text).map((p) => p.text).join("");
    const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: text || (toolCalls.length ? null : "") };
    if (toolCalls.length) message.tool_calls = toolCalls;
    if (reasoning) message.reasoning_content = reasoning;
    const finish = toolCalls.length ? "tool_calls" : (FINISH_REASON[c.finishReason ?? ""] ?? "stop");
    return { index: c.index ?? i, message, finish_reason: finish };
  });
  // A blocked prompt comes back with no candidates at all.
  if (!choices.length) choices.push({ index: 0, message: { role: "assistant", content: null }, finish_reason: r.promptFeedback?.blockReason ? "content_filter" : "stop" });
  return {
    id: r.responseId ? `chatcmpl-${r.responseId}` : `chatcmpl-${ctx.callId}`,
    object: "chat.completion",
    created: nowSeconds(),
    model: r.modelVersion ?? ctx.deployment.model,
    choices,
    usage: usageOf(r.usageMetadata) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** Each SSE event is a whole GenerateContentResponse; usage is cumulative, the last one wins. */
class GeminiStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  id: string;
  model: string;
  private readonly started = new Set<number>();
  /** Tool calls so far per candidate (their OpenAI index), and in all (for unique ids). */
  private readonly toolCalls = new Map<number, number>();
  private calls = 0;
  private readonly created = nowSeconds();

  constructor(private readonly ctx: AdapterContext) {
    this.id = `chatcmpl-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(index: number, delta: Record<string, unknown>, finish: FinishReason = null) {
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index, delta, finish_reason: finish }] };
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    const r = parseEventJson<GeminiResponse>(event.data, "gemini");
    inBandError(r);
    if (r.modelVersion) this.model = r.modelVersion;
    if (r.usageMetadata) this.usage = usageOf(r.usageMetadata);
    if (!r.candidates?.length && r.promptFeedback?.blockReason) emit(this.chunk(0, { role: "assistant", content: null }, "content_filter"));
    for (const [i, c] of (r.candidates ?? []).entries()) {
      const index = c.index ?? i;
      const delta: Record<string, unknown> = {};
      if (!this.started.has(index)) {
        this.started.add(index);
        delta.role = "assistant";
      }
      const parts = c.content?.parts ?? [];
      const text = parts.filter((p) => p.text && !p.thought).map((p) => p.text).join("");
      const reasoning = parts.filter((p) => p.thought && p.text).map((p) => p.text).join("");
      if (text) delta.content = text;
      if (reasoning) delta.reasoning_content = reasoning;
      const calls = parts.filter((p) => p.functionCall);
      if (calls.length) {
        const offset = this.toolCalls.get(index) ?? 0;
        // Gemini sends each call whole: one delta carries id, name and all the arguments.
        delta.tool_calls = calls.map((p, k) => ({ index: offset + k, ...toolCallOf(p, this.ctx.callId, this.calls++) }));
        this.toolCalls.set(index, offset + calls.length);
      }
      if (Object.keys(delta).length) emit(this.chunk(index, delta));
      if (c.finishReason) {
        const finish = this.toolCalls.get(index) ? "tool_calls" : (FINISH_REASON[c.finishReason] ?? "stop");
        emit(this.chunk(index, {}, finish));
      }
    }
  }
}

/** Google's `{"error":{"code","message","status","details"}}`. */
function mapGeminiError(failure: UpstreamFailure, ctx: AdapterContext) {
  type Detail = { "@type"?: string; reason?: string; retryDelay?: string };
  const body = failureJson<{ error?: { message?: string; status?: string; details?: Detail[] } } | { error?: unknown }[]>(failure);
  const error = (Array.isArray(body) ? body[0] : body)?.error as { message?: string; status?: string; details?: Detail[] } | undefined;
  const message = error?.message ?? plainMessage(failure);
  const details = error?.details ?? [];
  const retryDelay = details.find((d) => d.retryDelay)?.retryDelay;
  const retryAfter = retryDelay ? Number.parseFloat(retryDelay) : undefined;
  // Google answers a bad key with 400 INVALID_ARGUMENT; clients and the router expect an auth error.
  if (details.some((d) => d.reason === "API_KEY_INVALID") || /API key not valid/i.test(message)) {
    return providerError(failure, ctx, { message, kind: "auth", status: 401 });
  }
  return providerError(failure, ctx, { message, retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined });
}

const chat: EndpointHandler<ChatRequest, ChatCompletion> = {
  supportedParams: CHAT_PARAMS,
  async buildRequest(body, ctx) {
    const payload = await toGeminiRequest(body);
    const t = target(ctx, body.stream ? "streamGenerateContent" : "generateContent");
    return { ...t, url: body.stream ? `${t.url}?alt=sse` : t.url, body: JSON.stringify(payload) };
  },
  parseResponse: parseChat,
  stream: { decoder: "sse", translator: (ctx) => new GeminiStreamTranslator(ctx) },
};

const embedding: EndpointHandler<EmbeddingRequest, EmbeddingResponse> = {
  supportedParams: new Set(["model", "input", "user", "dimensions", "encoding_format"]),
  buildRequest(body, ctx) {
    const model = ctx.deployment.model.includes("/") ? ctx.deployment.model : `models/${ctx.deployment.model}`;
    const requests = textInputs(body, "gemini").map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(body.dimensions ? { outputDimensionality: body.dimensions } : {}),
    }));
    return { ...target(ctx, "batchEmbedContents"), body: JSON.stringify({ requests }) };
  },
  parseResponse(json, ctx, body) {
    const r = json as { embeddings?: { values: number[] }[] };
    // Gemini reports no token counts for embeddings: they are estimated.
    return embeddingList((r.embeddings ?? []).map((e) => e.values), body, ctx.deployment.model);
  },
};

export const gemini: ProviderAdapter = { name: "gemini", chat, embedding, mapError: mapGeminiError };
