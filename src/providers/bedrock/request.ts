// Amazon Bedrock (`bedrock/<model id or inference profile ARN>`, also `bedrock/converse/...`): the
// Converse and ConverseStream APIs for chat, InvokeModel for Titan and Cohere embeddings. Requests are
// SigV4-signed here (aws4fetch) with aws_access_key_id / aws_secret_access_key / aws_session_token /
// aws_region_name (litellm_params, else the AWS_* env vars), or sent with a Bedrock API key as Bearer.
// ConverseStream answers in AWS's binary event stream (shared/aws-event-stream.ts).
import { AwsV4Signer } from "aws4fetch";
import { GatewayError, badRequest } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, ChatMessage, ChatRequest, EmbeddingRequest, EmbeddingResponse, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { awsEventStreamDecoder } from "../shared/aws-event-stream";
import {
  cacheControlOf,
  fileOf,
  imageUrlOf,
  loadInlineData,
  parseToolArguments,
  partsOf,
  thinkingBlocksOf,
  thinkingBudget,
} from "../shared/content";
import { embeddingList, textInputs } from "../shared/embeddings";
import { failureJson, plainMessage, providerError } from "../shared/errors";
import { JSON_TOOL_NAME, jsonToolFor } from "../shared/json-tool";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, EndpointHandler, ProviderAdapter, StreamTranslator, UpstreamFailure, UpstreamRequest } from "../../core/provider";
import { usageWithCache } from "../shared/usage";

const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
  "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user", "reasoning_effort",
]);

// ---- target and signing ----

const env = (ctx: AdapterContext, name: string) => (typeof ctx.env[name] === "string" ? (ctx.env[name] as string) : undefined);

/** `converse/` and `invoke/` are LiteLLM route prefixes, not part of the model id; both use Converse here. */
const modelIdOf = (model: string) => model.replace(/^(converse|invoke)\//, "");

async function signedRequest(ctx: AdapterContext, path: string, body: string, accept = "application/json"): Promise<UpstreamRequest> {
  const { params, modelName } = ctx.deployment;
  const region = params.aws_region_name ?? env(ctx, "AWS_REGION_NAME") ?? env(ctx, "AWS_REGION") ?? env(ctx, "AWS_DEFAULT_REGION");
  if (!region) throw new GatewayError(500, "server", `deployment '${modelName}' (bedrock) needs litellm_params.aws_region_name (or AWS_REGION)`);
  const base = (params.api_base ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, "");
  const url = base + path;
  const headers: Record<string, string> = { "content-type": "application/json", accept, ...(params.extra_headers ?? {}) };
  // Bedrock API keys (AWS_BEARER_TOKEN_BEDROCK) need no signing.
  const bearer = params.api_key ?? env(ctx, "AWS_BEARER_TOKEN_BEDROCK");
  if (bearer) return { url, headers: { ...headers, authorization: `Bearer ${bearer}` }, body };
  const accessKeyId = params.aws_access_key_id ?? env(ctx, "AWS_ACCESS_KEY_ID");
  const secretAccessKey = params.aws_secret_access_key ?? env(ctx, "AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new GatewayError(500, "server", `deployment '${modelName}' (bedrock) needs aws_access_key_id and aws_secret_access_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or an api_key)`);
  }
  const sessionToken = params.aws_session_token ?? env(ctx, "AWS_SESSION_TOKEN");
  const signed = await new AwsV4Signer({ url, method: "POST", headers, body, accessKeyId, secretAccessKey, sessionToken, service: "bedrock", region }).sign();
  return { url: signed.url.toString(), headers: Object.fromEntries(signed.headers), body };
}

// ---- Converse requests ----

type Block = Record<string, unknown>;

const IMAGE_FORMATS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp" };
const DOCUMENT_FORMATS: Record<string, string> = {
  "application/pdf": "pdf", "text/csv": "csv", "text/plain": "txt", "text/markdown": "md", "text/html": "html", "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx", "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
};

async function blocksFor(content: ChatMessage["content"], documents: { count: number }): Promise<Block[]> {
  const out: Block[] = [];
  for (const part of partsOf(content)) {
    if (part.type === "text") {
      if (part.text) out.push({ text: part.text });
    } else if (part.type === "image_url") {
      const { mediaType, data } = await loadInlineData(imageUrlOf(part));
      const format = IMAGE_FORMATS[mediaType];
      if (!format) throw badRequest(`bedrock takes png, jpeg, gif or webp images (got ${mediaType})`, "messages");
      out.push({ image: { format, source: { bytes: data } } });
    } else if (part.type === "file" && fileOf(part)) {
      const file = fileOf(part)!;
      const { mediaType, data } = await loadInlineData(file.data);
      const format = DOCUMENT_FORMATS[mediaType];
      if (!format) throw badRequest(`bedrock does not take documents of type ${mediaType}`, "messages");
      // Bedrock allows only letters, digits, spaces, hyphens, parentheses and brackets in names.
      const name = (file.filename?.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9 \-()[\]]/g, " ").trim() || "") || `document ${++documents.count}`;
      out.push({ document: { format, name, source: { bytes: data } } });
    } else {
      throw badRequest(`bedrock does not accept content parts of type '${part.type}'`, "messages");
    }
    if (cacheControlOf(part)) out.push({ cachePoint: { type: "default" } });
  }
  return out;
}

function toolChoiceOf(body: ChatRequest, jsonTool: boolean): Block | undefined {
  const choice = body.tool_choice;
  if (choice === undefined) return jsonTool ? (body.tools?.length ? { any: {} } : { tool: { name: JSON_TOOL_NAME } }) : undefined;
  if (choice === "auto" || choice === "none") return { auto: {} }; // Converse has no "none": the model is only not forced
  if (choice === "required") return { any: {} };
  return { tool: { name: choice.function.name } };
}

/** Model-specific request fields Converse passes through (thinking for Claude, reasoning for Nova). */
function additionalFields(body: ChatRequest, modelId: string): Block | undefined {
  const out: Block = {};
  const b = body as Record<string, unknown>;
  if (b.top_k != null) out.top_k = b.top_k;
  const budget = thinkingBudget(body.reasoning_effort);
  if (budget) {
    if (modelId.includes("anthropic.")) out.thinking = { type: "enabled", budget_tokens: budget };
    else if (modelId.includes("amazon.nova")) out.reasoningConfig = { type: "enabled", maxReasoningEffort: body.reasoning_effort === "minimal" ? "low" : body.reasoning_effort };
  }
  return Object.keys(out).length ? out : undefined;
}

export async function toConverseRequest(body: ChatRequest, modelId: string): Promise<Record<string, unknown>> {
  if (body.n != null && body.n > 1) throw badRequest("bedrock does not support n > 1", "n");
  const system: Block[] = [];
  const messages: { role: "user" | "assistant"; content: Block[] }[] = [];
  const documents = { count: 0 };
  const toolNamesInHistory = new Set<string>();
  const push = (role: "user" | "assistant", blocks: Block[], m: ChatMessage) => {
    if (!blocks.length) return;
    if (cacheControlOf(m)) blocks.push({ cachePoint: { type: "default" } });
    const last = messages.at(-1);
    // Converse wants alternating roles: parallel tool results and back-to-back turns merge.
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of body.messages) {
    if (m.role === "system" || m.role === "developer") {
      system.push(...(await blocksFor(m.content, documents)).filter((b) => "text" in b || "cachePoint" in b));
      if (cacheControlOf(m)) system.push({ cachePoint: { type: "default" } });
    } else if (m.role === "user") push("user", await blocksFor(m.content, documents), m);
    else if (m.role === "assistant") {
      const blocks: Block[] = [];
      for (const t of thinkingBlocksOf(m)) {
        if (t.type === "thinking" && t.signature) blocks.push({ reasoningContent: { reasoningText: { text: t.thinking ?? "", signature: t.signature } } });
        else if (t.type === "redacted_thinking" && t.data) blocks.push({ reasoningContent: { redactedContent: t.data } });
      }
      blocks.push(...(await blocksFor(m.content, documents)).filter((b) => "text" in b));
      for (const tc of m.tool_calls ?? []) {
        toolNamesInHistory.add(tc.function.name);
        blocks.push({ toolUse: { toolUseId: tc.id ?? `tooluse_${blocks.length}`, name: tc.function.name, input: parseToolArguments(tc.function.arguments) } });
      }
      push("assistant", blocks, m);
    } else {
      const id = m.tool_call_id ?? m.name;
      if (!id) throw badRequest("tool messages need tool_call_id", "messages");
      const content = typeof m.content === "string" ? [{ text: m.content || " " }] : (await blocksFor(m.content, documents)).filter((b) => !("cachePoint" in b));
      push("user", [{ toolResult: { toolUseId: id, content: content.length ? content : [{ text: " " }] } }], m);
    }
  }

  const payload: Record<string, unknown> = { messages };
  if (system.length) payload.system = system;
  const inference: Block = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) inference.maxTokens = maxTokens;
  if (body.temperature != null) inference.temperature = body.temperature;
  if (body.top_p != null) inference.topP = body.top_p;
  if (body.stop != null) inference.stopSequences = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (Object.keys(inference).length) payload.inferenceConfig = inference;

  const jsonTool = jsonToolFor(body);
  const specs = (body.tools ?? []).map((t) => ({
    toolSpec: { name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), inputSchema: { json: t.function.parameters ?? { type: "object", properties: {} } } },
  }));
  if (jsonTool) specs.push({ toolSpec: { name: jsonTool.name, description: jsonTool.description, inputSchema: { json: jsonTool.schema } } });
  // Converse refuses toolUse/toolResult history without a toolConfig; declare the tools the history names.
  if (!specs.length) for (const name of toolNamesInHistory) specs.push({ toolSpec: { name, inputSchema: { json: { type: "object" } } } });
  if (specs.length) {
    const toolChoice = toolChoiceOf(body, !!jsonTool);
    payload.toolConfig = { tools: specs, ...(toolChoice ? { toolChoice } : {}) };
  }
  const extra = additionalFields(body, modelId);
  if (extra) payload.additionalModelRequestFields = extra;
  if (body.user) payload.requestMetadata = { user: body.user.slice(0, 256) };
  return payload;
}

// ---- Converse responses ----

const FINISH_REASON: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Converse's inputTokens excludes cache reads and writes. */
function usageOf(u: ConverseUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  return usageWithCache({ input: u.inputTokens ?? 0, output: u.outputTokens ?? 0, cacheRead: u.cacheReadInputTokens ?? 0, cacheWrite: u.cacheWriteInputTokens ?? 0 });
}

interface ConverseBlock {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input?: unknown };
  reasoningContent?: { reasoningText?: { text?: string; signature?: string }; redactedContent?: string };
}

function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = json as { output?: { message?: { content?: ConverseBlock[] } }; stopReason?: string; usage?: ConverseUsage };
  let text = "";
  let reasoning = "";
  let jsonAnswer: string | undefined;
  const thinkingBlocks: Block[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of r.output?.message?.content ?? []) {
    if (block.text !== undefined) text += block.text;
    else if (block.reasoningContent?.reasoningText) {
      reasoning += block.reasoningContent.reasoningText.text ?? "";
      thinkingBlocks.push({ type: "thinking", thinking: block.reasoningContent.reasoningText.text ?? "", signature: block.reasoningContent.reasoningText.signature });
    } else if (block.reasoningContent?.redactedContent) thinkingBlocks.push({ type: "redacted_thinking", data: block.reasoningContent.redactedContent });
    else if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      if (name === JSON_TOOL_NAME) jsonAnswer = JSON.stringify(input ?? {});
      else toolCalls.push({ id: toolUseId, type: "function", function: { name, arguments: JSON.stringify(input ?? {}) } });
    }
  }
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: jsonAnswer ?? (text || (toolCalls.length ? null : "")) };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;
  if (thinkingBlocks.length) (message as Record<string, unknown>).thinking_blocks = thinkingBlocks;
  const finish = jsonAnswer !== undefined && !toolCalls.length ? "stop" : (FINISH_REASON[r.stopReason ?? ""] ?? "stop");
  return {
    id: `chatcmpl-${ctx.callId}`,
    object: "chat.completion",
    created: nowSeconds(),
    model: ctx.deployment.model,
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: usageOf(r.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

interface ConverseEvent {
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId: string; name: string } };
  delta?: { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string; signature?: string; redactedContent?: string } };
  stopReason?: string;
  usage?: ConverseUsage;
}

/** ConverseStream events (by :event-type) -> OpenAI chunks. The role chunk waits for content, so early errors can be retried. */
class ConverseStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  readonly id: string;
  readonly model: string;
  private readonly blocks = new Map<number, { toolIndex: number; json: boolean }>();
  private tools = 0;
  private sawJsonTool = false;
  private started = false;
  private readonly created = nowSeconds();

  constructor(
    private readonly ctx: AdapterContext,
    private readonly jsonTool: boolean,
  ) {
    this.id = `chatcmpl-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(delta: Record<string, unknown>, finish: FinishReason = null) {
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  onEvent(event: { event?: string; data: string }, sink: ChunkSink): void {
    if (event.event?.startsWith("exception:")) throw mapBedrockError(streamFailure(event.event.slice(10), event.data), this.ctx);
    const emit: ChunkSink = (chunk) => {
      if (!this.started) {
        this.started = true;
        sink(this.chunk({ role: "assistant", content: "" }));
      }
      sink(chunk);
    };
    const e = parseEventJson<ConverseEvent>(event.data, "bedrock");
    switch (event.event) {
      case "contentBlockStart": {
        const tool = e.start?.toolUse;
        if (!tool) return;
        if (this.jsonTool && tool.name === JSON_TOOL_NAME) {
          this.sawJsonTool = true;
          this.blocks.set(e.contentBlockIndex ?? 0, { toolIndex: -1, json: true });
          return;
        }
        const toolIndex = this.tools++;
        this.blocks.set(e.contentBlockIndex ?? 0, { toolIndex, json: false });
        emit(this.chunk({ tool_calls: [{ index: toolIndex, id: tool.toolUseId, type: "function", function: { name: tool.name, arguments: "" } }] }));
        return;
      }
      case "contentBlockDelta": {
        const d = e.delta ?? {};
        const block = this.blocks.get(e.contentBlockIndex ?? 0);
        if (d.text) emit(this.chunk({ content: d.text }));
        else if (d.toolUse?.input && block) {
          emit(block.json ? this.chunk({ content: d.toolUse.input }) : this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: d.toolUse.input } }] }));
        } else if (d.reasoningContent?.text) emit(this.chunk({ reasoning_content: d.reasoningContent.text }));
        else if (d.reasoningContent?.signature) emit(this.chunk({ thinking_blocks: [{ type: "thinking", thinking: "", signature: d.reasoningContent.signature }] }));
        else if (d.reasoningContent?.redactedContent) emit(this.chunk({ thinking_blocks: [{ type: "redacted_thinking", data: d.reasoningContent.redactedContent }] }));
        return;
      }
      case "messageStop": {
        const finish = this.sawJsonTool && this.tools === 0 ? "stop" : (FINISH_REASON[e.stopReason ?? ""] ?? "stop");
        emit(this.chunk({}, finish));
        return;
      }
      case "metadata":
        this.usage = usageOf(e.usage);
        return;
      default:
        return; // messageStart, contentBlockStop
    }
  }
}

// ---- errors ----

const EXCEPTION_STATUS: Record<string, number> = {
  validationexception: 400,
  accessdeniedexception: 403,
  unrecognizedclientexception: 401,
  invalidsignatureexception: 401,
  expiredtokenexception: 401,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  throttlingexception: 429,
  modelnotreadyexception: 429,
  servicequotaexceededexception: 429,
  internalserverexception: 500,
  modelstreamerrorexception: 500,
  modelerrorexception: 500,
  serviceunavailableexception: 503,
};

/** An exception inside ConverseStream, as the failure an HTTP error with it would be. */
function streamFailure(type: string, data: string): UpstreamFailure {
  return { status: EXCEPTION_STATUS[type.toLowerCase()] ?? 500, headers: new Headers({ "x-amzn-errortype": type }), text: data };
}

/** AWS's `{"message": ...}` with the exception name in x-amzn-errortype (or __type). */
function mapBedrockError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  const body = failureJson<{ message?: string; Message?: string; __type?: string }>(failure);
  const message = body?.message ?? body?.Message ?? plainMessage(failure);
  const type = (failure.headers.get("x-amzn-errortype") ?? body?.__type ?? "").split(":")[0].split("#").pop()!.toLowerCase();
  // Bad or expired credentials come back as 403s; clients and the router expect an auth error.
  if (["unrecognizedclientexception", "invalidsignatureexception", "expiredtokenexception"].includes(type)) {
    return providerError(failure, ctx, { message, kind: "auth", status: 401 });
  }
  if (type === "throttlingexception" || type === "modelnotreadyexception" || type === "servicequotaexceededexception") {
    return providerError(failure, ctx, { message, kind: "rate_limit", status: 429 });
  }
  return providerError(failure, ctx, { message });
}

// ---- handlers ----

const chat: EndpointHandler<ChatRequest, ChatCompletion> = {
  supportedParams: CHAT_PARAMS,
  async buildRequest(body, ctx) {
    const modelId = modelIdOf(ctx.deployment.model);
    const payload = await toConverseRequest(body, modelId);
    const path = `/model/${encodeURIComponent(modelId)}/${body.stream ? "converse-stream" : "converse"}`;
    return signedRequest(ctx, path, JSON.stringify(payload), body.stream ? "application/vnd.amazon.eventstream" : "application/json");
  },
  parseResponse: parseChat,
  stream: { decoder: awsEventStreamDecoder, translator: (ctx, body) => new ConverseStreamTranslator(ctx, jsonToolFor(body) !== undefined) },
};

/** Titan takes one text per call; Cohere a batch. Other embedding models are not supported yet. */
const embedding: EndpointHandler<EmbeddingRequest, EmbeddingResponse> = {
  supportedParams: new Set(["model", "input", "user", "dimensions", "encoding_format", "input_type"]),
  buildRequest(body, ctx) {
    const modelId = modelIdOf(ctx.deployment.model);
    const texts = textInputs(body, "bedrock");
    let payload: Record<string, unknown>;
    if (modelId.includes("amazon.titan-embed")) {
      if (texts.length !== 1) throw badRequest("amazon titan embedding models take one input per request", "input");
      payload = { inputText: texts[0], ...(body.dimensions ? { dimensions: body.dimensions } : {}) };
    } else if (modelId.includes("cohere.embed")) {
      payload = { texts, input_type: (body as Record<string, unknown>).input_type ?? "search_document" };
    } else {
      throw badRequest(`bedrock embeddings support amazon.titan-embed-* and cohere.embed-* models, not ${modelId}`, "model");
    }
    return signedRequest(ctx, `/model/${encodeURIComponent(modelId)}/invoke`, JSON.stringify(payload));
  },
  parseResponse(json, ctx, body) {
    const r = json as { embedding?: number[]; inputTextTokenCount?: number; embeddings?: number[][] | { float?: number[][] } };
    if (r.embedding) return embeddingList([r.embedding], body, ctx.deployment.model, r.inputTextTokenCount);
    const vectors = Array.isArray(r.embeddings) ? r.embeddings : (r.embeddings?.float ?? []);
    return embeddingList(vectors, body, ctx.deployment.model);
  },
};

export const bedrock: ProviderAdapter = { name: "bedrock", chat, embedding, mapError: mapBedrockError };
