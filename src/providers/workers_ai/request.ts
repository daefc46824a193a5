// Cloudflare Workers AI (`workers_ai/@cf/...`, or LiteLLM's name `cloudflare/@cf/...`): through the
// Worker's AI binding (env.AI.run, no key needed) when there is one, else the REST API
// {api_base | https://api.cloudflare.com/client/v4/accounts/<CLOUDFLARE_ACCOUNT_ID>/ai/run}/<model>
// with CLOUDFLARE_API_KEY (or CLOUDFLARE_API_TOKEN) as Bearer. Both take the same inputs; binding
// results are wrapped into the REST envelope (`{result, success, errors}`) so one parser serves both.
// Models answer either in Workers AI's own shape ({response, tool_calls, usage}) or, for the newer
// ones, in OpenAI's (choices); both are read, JSON and SSE.
import { GatewayError, badRequest } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, ChatMessage, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, FinishReason, TextCompletion, ToolCall, Usage } from "../../schema/openai";
import { partsOf, textOf, toolCallId } from "../shared/content";
import { embeddingList, textInputs } from "../shared/embeddings";
import { failureJson, plainMessage, providerError } from "../shared/errors";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, EndpointHandler, ProviderAdapter, StreamTranslator, UpstreamFailure, UpstreamRequest } from "../../core/provider";

const BINDING_URL = "workers-ai://binding/";

const SAMPLING = ["max_tokens", "temperature", "top_p", "top_k", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty"] as const;
const CHAT_PARAMS = new Set(["model", "messages", "stream", "stream_options", "max_completion_tokens", "tools", "tool_choice", "response_format", "user", ...SAMPLING]);
const COMPLETION_PARAMS = new Set(["model", "prompt", "stream", "stream_options", "user", ...SAMPLING]);

/** Internal error codes of Workers AI -> HTTP status (developers.cloudflare.com/workers-ai/platform/errors). */
const ERROR_STATUS: Record<number, number> = {
  3003: 400, 3006: 413, 3007: 408, 3008: 408, 3023: 403, 3036: 429, 3039: 400, 3040: 429, 3041: 403, 3042: 404,
  5004: 400, 5005: 405, 5006: 400, 5007: 404, 5016: 403, 5018: 403, 5019: 405, 5021: 400,
};

const envString = (ctx: AdapterContext, name: string) => (typeof ctx.env[name] === "string" ? (ctx.env[name] as string) : undefined);

function request(ctx: AdapterContext, inputs: Record<string, unknown>): UpstreamRequest {
  const { params, model, modelName } = ctx.deployment;
  const body = JSON.stringify(inputs);
  if (ctx.env.AI) return { url: BINDING_URL + model, headers: {}, body };
  const account = envString(ctx, "CLOUDFLARE_ACCOUNT_ID");
  const base = params.api_base ?? (account ? `https://api.cloudflare.com/client/v4/accounts/${account}/ai/run` : undefined);
  const key = params.api_key ?? envString(ctx, "CLOUDFLARE_API_KEY") ?? envString(ctx, "CLOUDFLARE_API_TOKEN");
  if (!base || !key) {
    throw new GatewayError(500, "server", `deployment '${modelName}' (workers_ai) needs the AI binding ([ai] binding = "AI" in wrangler.toml), or CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_KEY for the REST API`);
  }
  return { url: `${base.replace(/\/+$/, "")}/${model}`, headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...(params.extra_headers ?? {}) }, body };
}

/** Runs a request on the AI binding, answering like the REST API would (errors included), so the rest of the path is shared. */
async function runOnBinding(req: UpstreamRequest, ai: Ai, signal: AbortSignal): Promise<Response> {
  const model = req.url.slice(BINDING_URL.length);
  const inputs = JSON.parse(req.body ?? "{}") as Record<string, unknown>;
  try {
    const result = await (ai.run as (m: string, i: object, o: object) => Promise<unknown>)(model, inputs, { signal });
    if (result instanceof ReadableStream) return new Response(result, { headers: { "content-type": "text/event-stream" } });
    return Response.json({ result, success: true, errors: [] });
  } catch (err) {
    if (signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const code = Number(/\b(\d{4}):/.exec(message)?.[1] ?? 0);
    return Response.json({ result: null, success: false, errors: [{ code, message }] }, { status: ERROR_STATUS[code] ?? 500 });
  }
}

// ---- requests ----

/** OpenAI messages as Workers AI takes them: plain-text content where possible; tool calls and results in OpenAI's form. */
function messagesFor(messages: ChatMessage[]): Record<string, unknown>[] {
  return messages.map((m) => {
    const role = m.role === "developer" ? "system" : m.role === "function" ? "tool" : m.role;
    const hasMedia = partsOf(m.content).some((p) => p.type !== "text");
    const out: Record<string, unknown> = { role, content: hasMedia ? m.content : textOf(m.content) };
    if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map((tc) => ({ id: tc.id, type: "function", function: tc.function }));
    if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
    if (m.name) out.name = m.name;
    return out;
  });
}

function samplingOf(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SAMPLING) if (body[key] != null) out[key] = body[key];
  if (body.max_completion_tokens != null) out.max_tokens = body.max_completion_tokens;
  if (body.stream) out.stream = true;
  return out;
}

function chatInputs(body: ChatRequest): Record<string, unknown> {
  const inputs: Record<string, unknown> = { messages: messagesFor(body.messages), ...samplingOf(body as Record<string, unknown>) };
  if (body.tools?.length && body.tool_choice !== "none") {
    inputs.tools = body.tools;
    if (body.tool_choice && body.tool_choice !== "auto") inputs.tool_choice = body.tool_choice;
  }
  const rf = body.response_format;
  // Workers AI's JSON mode takes the schema itself under json_schema.
  if (rf?.type === "json_object") inputs.response_format = { type: "json_object" };
  else if (rf?.type === "json_schema") inputs.response_format = { type: "json_schema", json_schema: rf.json_schema?.schema ?? { type: "object" } };
  return inputs;
}

// ---- responses ----

interface NativeToolCall {
  id?: string;
  index?: number;
  name?: string;
  arguments?: unknown;
  function?: { name?: string; arguments?: unknown };
}

interface WorkersAIResult {
  response?: unknown;
  tool_calls?: NativeToolCall[];
  usage?: Partial<Usage>;
  choices?: { index?: number; message?: Record<string, unknown>; delta?: Record<string, unknown>; text?: string; finish_reason?: string | null }[];
  finish_reason?: string;
  id?: string;
}

const argsText = (args: unknown) => (typeof args === "string" ? args : JSON.stringify(args ?? {}));

function usageOf(u: Partial<Usage> | undefined): Usage {
  const prompt = u?.prompt_tokens ?? 0;
  const completion = u?.completion_tokens ?? 0;
  return { ...u, prompt_tokens: prompt, completion_tokens: completion, total_tokens: u?.total_tokens ?? prompt + completion };
}

/** The REST envelope's `result` (binding answers are wrapped the same way). */
function resultOf(json: unknown): WorkersAIResult {
  const envelope = json as { result?: WorkersAIResult; success?: boolean; errors?: { message?: string }[] };
  if (envelope.success === false) throw new GatewayError(500, "server", `workers_ai error: ${envelope.errors?.[0]?.message ?? "unknown"}`, { upstream: true });
  return envelope.result ?? (json as WorkersAIResult);
}

function toolCallsOf(calls: NativeToolCall[] | undefined, callId: string): ToolCall[] {
  return (calls ?? []).map((tc, i) => ({ id: tc.id ?? toolCallId(callId, i), type: "function", function: { name: tc.function?.name ?? tc.name ?? "", arguments: argsText(tc.function?.arguments ?? tc.arguments) } }));
}

function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = resultOf(json);
  const base = { id: `chatcmpl-${ctx.callId}`, object: "chat.completion" as const, created: nowSeconds(), model: ctx.deployment.model };
  if (r.choices) {
    // OpenAI-format models: already a chat.completion (normalised for the fields the gateway relies on).
    const choices = r.choices.map((c, i) => ({ index: c.index ?? i, message: { role: "assistant", content: null, ...c.message } as ChatCompletion["choices"][number]["message"], finish_reason: (c.finish_reason ?? "stop") as FinishReason }));
    return { ...base, ...(r as object), id: r.id ?? base.id, object: "chat.completion", choices, usage: usageOf(r.usage) } as ChatCompletion;
  }
  const toolCalls = toolCallsOf(r.tool_calls, ctx.callId);
  const content = r.response === undefined || r.response === null ? "" : typeof r.response === "string" ? r.response : JSON.stringify(r.response);
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: content || (toolCalls.length ? null : "") };
  if (toolCalls.length) message.tool_calls = toolCalls;
  const finish: FinishReason = toolCalls.length ? "tool_calls" : r.finish_reason === "length" ? "length" : "stop";
  return { ...base, choices: [{ index: 0, message, finish_reason: finish }], usage: usageOf(r.usage) };
}

/** SSE events in either shape -> OpenAI chunks; the finish chunk is written at the end when the model sends none. */
class WorkersAIStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  readonly id: string;
  readonly model: string;
  private started = false;
  private finished = false;
  /** Upstream tool-call key -> OpenAI index. */
  private readonly toolIndexes = new Map<number | string, number>();
  private readonly created = nowSeconds();

  constructor(
    private readonly ctx: AdapterContext,
    private readonly kind: "chat" | "completion",
  ) {
    this.id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(delta: Record<string, unknown>, finish: FinishReason = null) {
    if (this.kind === "completion") return { id: this.id, object: "text_completion", created: this.created, model: this.model, choices: [{ index: 0, text: (delta.content as string) ?? "", finish_reason: finish, logprobs: null }] };
    if (!this.started) {
      this.started = true;
      delta = { role: "assistant", ...delta };
    }
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  /** Workers AI streams tool calls OpenAI-style (index, then argument pieces) or whole ({name, arguments}). */
  private toolDeltas(calls: NativeToolCall[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const tc of calls) {
      const name = tc.function?.name ?? tc.name;
      const args = tc.function?.arguments ?? tc.arguments;
      // Indexed pieces continue the call with that index; calls without an index come whole, each a new one.
      const key = tc.index ?? `whole-${this.toolIndexes.size}`;
      if (!this.toolIndexes.has(key)) {
        if (!name) continue; // a closing sentinel with nothing in it
        const index = this.toolIndexes.size;
        this.toolIndexes.set(key, index);
        out.push({ index, id: tc.id ?? toolCallId(this.ctx.callId, index), type: "function", function: { name, arguments: args == null ? "" : argsText(args) } });
      } else if (args != null && args !== "") {
        out.push({ index: this.toolIndexes.get(key), function: { arguments: argsText(args) } });
      }
    }
    return out;
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    if (event.data === "[DONE]") return;
    const r = parseEventJson<WorkersAIResult & { error?: string }>(event.data, "workers_ai");
    if (r.error) throw new GatewayError(500, "server", `workers_ai error: ${r.error}`, { upstream: true });
    if (r.usage) this.usage = usageOf(r.usage);
    const choice = r.choices?.[0];
    const delta: Record<string, unknown> = {};
    const text = choice ? (choice.delta?.content ?? choice.text) : typeof r.response === "string" ? r.response : undefined;
    if (text) delta.content = text;
    const reasoning = choice?.delta?.reasoning_content ?? choice?.delta?.reasoning;
    if (reasoning) delta.reasoning_content = reasoning;
    const calls = (choice?.delta?.tool_calls as NativeToolCall[] | undefined) ?? r.tool_calls;
    if (calls?.length && this.kind === "chat") {
      const deltas = this.toolDeltas(calls);
      if (deltas.length) delta.tool_calls = deltas;
    }
    if (Object.keys(delta).length) emit(this.chunk(delta));
    const finish = choice?.finish_reason ?? r.finish_reason;
    if (finish) this.finish(emit, finish as FinishReason);
  }

  private finish(emit: ChunkSink, reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    emit(this.chunk({}, this.toolIndexes.size && reason === "stop" ? "tool_calls" : reason));
  }

  onEnd(emit: ChunkSink): void {
    this.finish(emit, "stop");
  }
}

/** REST `{"success":false,"errors":[{"code","message"}]}` (binding errors are wrapped the same way). */
function mapWorkersAIError(failure: UpstreamFailure, ctx: AdapterContext) {
  const body = failureJson<{ errors?: { code?: number; message?: string }[] }>(failure);
  const error = body?.errors?.[0];
  const message = error?.message ?? plainMessage(failure);
  const status = failure.status === 500 && error?.code ? (ERROR_STATUS[error.code] ?? 500) : failure.status;
  return providerError({ ...failure, status }, ctx, { message });
}

const chat: EndpointHandler<ChatRequest, ChatCompletion> = {
  supportedParams: CHAT_PARAMS,
  buildRequest: (body, ctx) => request(ctx, chatInputs(body)),
  parseResponse: parseChat,
  stream: { decoder: "sse", translator: (ctx) => new WorkersAIStreamTranslator(ctx, "chat") },
};

const completion: EndpointHandler<CompletionRequest, TextCompletion> = {
  supportedParams: COMPLETION_PARAMS,
  buildRequest(body, ctx) {
    const prompt = typeof body.prompt === "string" ? body.prompt : Array.isArray(body.prompt) && body.prompt.length === 1 && typeof body.prompt[0] === "string" ? body.prompt[0] : undefined;
    if (prompt === undefined) throw badRequest("workers_ai completions take one text prompt", "prompt");
    return request(ctx, { prompt, ...samplingOf(body as Record<string, unknown>) });
  },
  parseResponse(json, ctx) {
    const chatLike = parseChat(json, ctx);
    const choice = chatLike.choices[0];
    return {
      id: `cmpl-${ctx.callId}`,
      object: "text_completion",
      created: chatLike.created,
      model: chatLike.model,
      choices: [{ index: 0, text: choice?.message.content ?? "", finish_reason: choice?.finish_reason ?? "stop", logprobs: null }],
      usage: chatLike.usage,
    };
  },
  stream: { decoder: "sse", translator: (ctx) => new WorkersAIStreamTranslator(ctx, "completion") },
};

const embedding: EndpointHandler<EmbeddingRequest, EmbeddingResponse> = {
  supportedParams: new Set(["model", "input", "user", "encoding_format"]),
  buildRequest: (body, ctx) => request(ctx, { text: textInputs(body, "workers_ai") }),
  parseResponse(json, ctx, body) {
    const r = resultOf(json) as { data?: number[][]; usage?: Partial<Usage> };
    return embeddingList(r.data ?? [], body, ctx.deployment.model, r.usage?.prompt_tokens);
  },
};

function workersAI(name: string): ProviderAdapter {
  return {
    name,
    chat,
    completion,
    embedding,
    send(req, ctx, signal) {
      if (req.url.startsWith(BINDING_URL)) return runOnBinding(req, ctx.env.AI!, signal);
      return fetch(req.url, { method: "POST", headers: req.headers, body: req.body, signal });
    },
    mapError: mapWorkersAIError,
  };
}

export const workersAi = workersAI("workers_ai");
/** LiteLLM's name for the same provider. */
export const cloudflare = workersAI("cloudflare");
