// Ollama's native API: `ollama_chat/` uses POST /api/chat (messages, tools, images), `ollama/` uses
// POST /api/generate (messages flattened to one prompt, as LiteLLM does). Streams are NDJSON.
// Usage comes from prompt_eval_count / eval_count. Embeddings use POST /api/embed.
import { GatewayError, kindForStatus, redactSecrets } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, ChatMessage, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, FinishReason, TextCompletion, ToolCall, Usage } from "../../schema/openai";
import { plainMessage } from "../shared/errors";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, EndpointHandler, ProviderAdapter, StreamTranslator, UpstreamFailure, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "http://localhost:11434";

interface OllamaMessage {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
}

interface OllamaResponse {
  model?: string;
  message?: OllamaMessage;
  response?: string;
  thinking?: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p",
  "stop", "seed", "presence_penalty", "frequency_penalty", "tools", "tool_choice", "response_format", "user", "n",
  "keep_alive", "top_k", "num_ctx", "repeat_penalty", "reasoning_effort", "parallel_tool_calls",
]);
const GENERATE_PARAMS = new Set([...CHAT_PARAMS].filter((p) => !["tools", "tool_choice", "parallel_tool_calls"].includes(p)).concat(["prompt", "suffix"]));

function target(path: string, ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { params } = ctx.deployment;
  const envBase = ctx.env.OLLAMA_API_BASE;
  const base = params.api_base ?? (typeof envBase === "string" ? envBase : DEFAULT_BASE);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (params.api_key) headers.authorization = `Bearer ${params.api_key}`;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url: base.replace(/\/+$/, "") + path, headers };
}

/** OpenAI sampling params -> Ollama `options`. */
function options(body: ChatRequest | CompletionRequest): Record<string, unknown> {
  const b = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (maxTokens != null) out.num_predict = maxTokens;
  if (b.temperature != null) out.temperature = b.temperature;
  if (b.top_p != null) out.top_p = b.top_p;
  if (b.top_k != null) out.top_k = b.top_k;
  if (b.seed != null) out.seed = b.seed;
  if (b.stop != null) out.stop = typeof b.stop === "string" ? [b.stop] : b.stop;
  if (b.presence_penalty != null) out.presence_penalty = b.presence_penalty;
  if (b.frequency_penalty != null) out.frequency_penalty = b.frequency_penalty;
  if (b.repeat_penalty != null) out.repeat_penalty = b.repeat_penalty;
  if (b.num_ctx != null) out.num_ctx = b.num_ctx;
  return out;
}

/** response_format -> Ollama `format` ("json" or a JSON schema). */
function format(body: ChatRequest): unknown {
  const rf = body.response_format;
  if (!rf || rf.type === "text") return undefined;
  if (rf.type === "json_schema" && rf.json_schema?.schema) return rf.json_schema.schema;
  return "json";
}

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((p) => (p.type === "text" ? (p.text ?? "") : "")).join("");
}

/** Base64 payloads of data-URL images; Ollama takes no image URLs. */
function imagesOf(content: ChatMessage["content"]): string[] {
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content) {
    if (part.type !== "image_url") continue;
    const url = typeof part.image_url === "string" ? part.image_url : (part.image_url?.url ?? "");
    const comma = url.indexOf(",");
    if (!url.startsWith("data:") || comma < 0) {
      throw new GatewayError(400, "bad_request", "ollama accepts images only as base64 data URLs", { param: "messages" });
    }
    out.push(url.slice(comma + 1));
  }
  return out;
}

function parseArguments(args: string): Record<string, unknown> {
  try {
    return JSON.parse(args || "{}") as Record<string, unknown>;
  } catch {
    throw new GatewayError(400, "bad_request", "tool_calls[].function.arguments must be JSON", { param: "messages" });
  }
}

function toOllamaMessages(messages: ChatMessage[]): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((m) => {
    const out: OllamaMessage = { role: m.role === "developer" ? "system" : m.role === "function" ? "tool" : m.role, content: textOf(m.content) };
    const images = imagesOf(m.content);
    if (images.length) out.images = images;
    if (m.tool_calls?.length) {
      out.tool_calls = m.tool_calls.map((tc) => {
        if (tc.id) toolNames.set(tc.id, tc.function.name);
        return { function: { name: tc.function.name, arguments: parseArguments(tc.function.arguments) } };
      });
    }
    if (m.role === "tool" && m.tool_call_id && toolNames.has(m.tool_call_id)) out.tool_name = toolNames.get(m.tool_call_id);
    return out;
  });
}

/** LiteLLM's ollama prompt template for /api/generate. */
export function flattenMessages(messages: ChatMessage[]): { prompt: string; images: string[] } {
  const images: string[] = [];
  let prompt = "";
  for (const m of messages) {
    const label = m.role === "system" || m.role === "developer" ? "System" : m.role === "assistant" ? "Assistant" : "User";
    prompt += `### ${label}:\n${textOf(m.content)}\n\n`;
    images.push(...imagesOf(m.content));
  }
  return { prompt: prompt + "### Assistant:\n", images };
}

function usageOf(r: OllamaResponse): Usage | undefined {
  if (r.prompt_eval_count === undefined && r.eval_count === undefined) return undefined;
  const prompt = r.prompt_eval_count ?? 0;
  const completion = r.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function finishReason(r: OllamaResponse, hadToolCalls: boolean): FinishReason {
  if (hadToolCalls) return "tool_calls";
  return r.done_reason === "length" ? "length" : "stop";
}

function toToolCalls(calls: OllamaMessage["tool_calls"], callId: string, offset = 0): (ToolCall & { index: number })[] {
  return (calls ?? []).map((tc, i) => ({
    index: offset + i,
    id: `call_${callId.slice(-12)}_${offset + i}`,
    type: "function" as const,
    function: { name: tc.function.name, arguments: JSON.stringify(tc.function.arguments ?? {}) },
  }));
}

function inBandError(r: OllamaResponse): void {
  if (r.error) throw new GatewayError(500, "server", `ollama error: ${r.error}`, { upstream: true });
}

/** NDJSON lines of /api/chat or /api/generate -> OpenAI chunks. */
class OllamaStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  readonly id: string;
  model: string;
  private started = false;
  private toolCalls = 0;

  constructor(ctx: AdapterContext, private readonly kind: "chat" | "completion") {
    this.id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(choice: Record<string, unknown>) {
    return { id: this.id, object: this.kind === "chat" ? "chat.completion.chunk" : "text_completion", created: nowSeconds(), model: this.model, choices: [{ index: 0, ...choice }] };
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    const r = parseEventJson<OllamaResponse>(event.data, "ollama");
    inBandError(r);
    if (this.kind === "completion") {
      if (r.response) emit(this.chunk({ text: r.response, finish_reason: null }));
    } else {
      const delta: Record<string, unknown> = {};
      if (!this.started) delta.role = "assistant";
      const content = r.message?.content ?? r.response;
      const thinking = r.message?.thinking ?? r.thinking;
      if (content) delta.content = content;
      if (thinking) delta.reasoning_content = thinking;
      if (r.message?.tool_calls?.length) {
        delta.tool_calls = toToolCalls(r.message.tool_calls, this.id, this.toolCalls);
        this.toolCalls += r.message.tool_calls.length;
      }
      if (Object.keys(delta).length) emit(this.chunk({ delta, finish_reason: null }));
      this.started = true;
    }
    if (r.done) {
      this.usage = usageOf(r);
      const reason = finishReason(r, this.toolCalls > 0);
      emit(this.kind === "chat" ? this.chunk({ delta: {}, finish_reason: reason }) : this.chunk({ text: "", finish_reason: reason }));
    }
  }
}

function chatHandler(mode: "chat" | "generate"): EndpointHandler<ChatRequest, ChatCompletion> {
  return {
    supportedParams: mode === "chat" ? CHAT_PARAMS : GENERATE_PARAMS,
    buildRequest(body, ctx) {
      const common = { model: ctx.deployment.model, stream: !!body.stream, options: options(body), format: format(body), keep_alive: (body as Record<string, unknown>).keep_alive };
      if (mode === "generate") {
        const { prompt, images } = flattenMessages(body.messages);
        return { ...target("/api/generate", ctx), body: JSON.stringify({ ...common, prompt, images: images.length ? images : undefined }) };
      }
      const payload = { ...common, messages: toOllamaMessages(body.messages), tools: body.tool_choice === "none" ? undefined : body.tools };
      return { ...target("/api/chat", ctx), body: JSON.stringify(payload) };
    },
    parseResponse(json, ctx) {
      const r = json as OllamaResponse;
      inBandError(r);
      const toolCalls = toToolCalls(r.message?.tool_calls, ctx.callId).map(({ index: _index, ...tc }) => tc);
      const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: (mode === "chat" ? r.message?.content : r.response) ?? "" };
      const thinking = r.message?.thinking ?? r.thinking;
      if (thinking) message.reasoning_content = thinking;
      if (toolCalls.length) message.tool_calls = toolCalls;
      return {
        id: `chatcmpl-${ctx.callId}`,
        object: "chat.completion",
        created: nowSeconds(),
        model: ctx.deployment.model,
        choices: [{ index: 0, message, finish_reason: finishReason(r, toolCalls.length > 0) }],
        usage: usageOf(r) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      };
    },
    stream: { decoder: "ndjson", translator: (ctx) => new OllamaStreamTranslator(ctx, "chat") },
  };
}

const completionHandler: EndpointHandler<CompletionRequest, TextCompletion> = {
  supportedParams: GENERATE_PARAMS,
  buildRequest(body, ctx) {
    if (typeof body.prompt !== "string" && !(Array.isArray(body.prompt) && body.prompt.length === 1 && typeof body.prompt[0] === "string")) {
      throw new GatewayError(400, "bad_request", "ollama completions take one text prompt", { param: "prompt" });
    }
    const prompt = typeof body.prompt === "string" ? body.prompt : (body.prompt[0] as string);
    const payload = { model: ctx.deployment.model, prompt, suffix: body.suffix ?? undefined, stream: !!body.stream, options: options(body) };
    return { ...target("/api/generate", ctx), body: JSON.stringify(payload) };
  },
  parseResponse(json, ctx) {
    const r = json as OllamaResponse;
    inBandError(r);
    return {
      id: `cmpl-${ctx.callId}`,
      object: "text_completion",
      created: nowSeconds(),
      model: ctx.deployment.model,
      choices: [{ index: 0, text: r.response ?? "", finish_reason: finishReason(r, false), logprobs: null }],
      usage: usageOf(r) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    };
  },
  stream: { decoder: "ndjson", translator: (ctx) => new OllamaStreamTranslator(ctx, "completion") },
};

const embeddingHandler: EndpointHandler<EmbeddingRequest, EmbeddingResponse> = {
  supportedParams: new Set(["model", "input", "user", "dimensions", "encoding_format"]),
  buildRequest(body, ctx) {
    const isText = typeof body.input === "string" || (body.input as unknown[]).every((x) => typeof x === "string");
    if (!isText) throw new GatewayError(400, "bad_request", "ollama embeddings take text input, not token ids", { param: "input" });
    const payload = { model: ctx.deployment.model, input: body.input, dimensions: body.dimensions };
    return { ...target("/api/embed", ctx), body: JSON.stringify(payload) };
  },
  parseResponse(json, ctx) {
    const r = json as { embeddings?: number[][]; prompt_eval_count?: number; error?: string };
    if (r.error) throw new GatewayError(500, "server", `ollama error: ${r.error}`, { upstream: true });
    const tokens = r.prompt_eval_count ?? 0;
    return {
      object: "list",
      model: ctx.deployment.model,
      data: (r.embeddings ?? []).map((embedding, index) => ({ object: "embedding" as const, index, embedding })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  },
};

/** Ollama's error body is `{"error": "..."}`. */
function mapOllamaError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  let message = plainMessage(failure);
  try {
    message = (JSON.parse(failure.text) as { error?: string }).error ?? message;
  } catch {
    // Not Ollama's JSON: an HTML page from whatever sits in front of it. Behind a Tunnel that is Access.
    if ((failure.status === 401 || failure.status === 403) && failure.headers.has("cf-ray")) {
      message += " (Cloudflare Access refused the request: check the CF-Access-Client-Id / CF-Access-Client-Secret extra_headers)";
    }
  }
  message = redactSecrets(message || `HTTP ${failure.status}`, ctx.deployment.params.api_key);
  let kind = kindForStatus(failure.status);
  if (/context (length|window)|too long/i.test(message)) kind = "context_window";
  return new GatewayError(kind === "context_window" ? 400 : failure.status, kind, `ollama error: ${message}`, { upstream: true });
}

export const ollamaChat: ProviderAdapter = {
  name: "ollama_chat",
  chat: chatHandler("chat"),
  completion: completionHandler,
  embedding: embeddingHandler,
  mapError: mapOllamaError,
};

export const ollama: ProviderAdapter = {
  name: "ollama",
  chat: chatHandler("generate"),
  completion: completionHandler,
  embedding: embeddingHandler,
  mapError: mapOllamaError,
};
