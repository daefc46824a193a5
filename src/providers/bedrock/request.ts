// OpenAI chat and embedding requests -> Bedrock's Converse / ConverseStream and InvokeModel (Titan,
// Cohere) bodies, SigV4-signed (aws4fetch) or with a Bedrock API key as Bearer.
import { AwsV4Signer } from "aws4fetch";
import { GatewayError, badRequest } from "../../errors";
import type { ChatMessage, ChatRequest, EmbeddingRequest } from "../../schema/openai";
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
import { textInputs } from "../shared/embeddings";
import { JSON_TOOL_NAME, jsonToolFor } from "../shared/json-tool";
import { samplingParams } from "../shared/sampling";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";

export const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
  "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user", "reasoning_effort",
]);
export const EMBEDDING_PARAMS = new Set(["model", "input", "user", "dimensions", "encoding_format", "input_type"]);

// ---- target and signing ----

/** `converse/` and `invoke/` are LiteLLM route prefixes, not part of the model id; both use Converse here. */
const modelIdOf = (model: string) => model.replace(/^(converse|invoke)\//, "");

async function signedRequest(ctx: AdapterContext, path: string, body: string, accept = "application/json"): Promise<UpstreamRequest> {
  const { params, modelName } = ctx.deployment;
  const region = params.aws_region_name ?? envString(ctx, "AWS_REGION_NAME") ?? envString(ctx, "AWS_REGION") ?? envString(ctx, "AWS_DEFAULT_REGION");
  if (!region) throw new GatewayError(500, "server", `deployment '${modelName}' (bedrock) needs litellm_params.aws_region_name (or AWS_REGION)`);
  const base = (params.api_base ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, "");
  const url = base + path;
  const headers: Record<string, string> = { "content-type": "application/json", accept, ...(params.extra_headers ?? {}) };
  // Bedrock API keys (AWS_BEARER_TOKEN_BEDROCK) need no signing.
  const bearer = params.api_key ?? envString(ctx, "AWS_BEARER_TOKEN_BEDROCK");
  if (bearer) return { url, headers: { ...headers, authorization: `Bearer ${bearer}` }, body };
  const accessKeyId = params.aws_access_key_id ?? envString(ctx, "AWS_ACCESS_KEY_ID");
  const secretAccessKey = params.aws_secret_access_key ?? envString(ctx, "AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new GatewayError(500, "server", `deployment '${modelName}' (bedrock) needs aws_access_key_id and aws_secret_access_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or an api_key)`);
  }
  const sessionToken = params.aws_session_token ?? envString(ctx, "AWS_SESSION_TOKEN");
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

/** OpenAI sampling params -> Converse's inferenceConfig (top_k goes in additionalFields). */
const INFERENCE_CONFIG = { max_tokens: "maxTokens", temperature: "temperature", top_p: "topP", stop: "stopSequences" };

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
  const inference = samplingParams(body, INFERENCE_CONFIG);
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

export async function chatRequest(body: ChatRequest, ctx: AdapterContext): Promise<UpstreamRequest> {
  const modelId = modelIdOf(ctx.deployment.model);
  const payload = await toConverseRequest(body, modelId);
  const path = `/model/${encodeURIComponent(modelId)}/${body.stream ? "converse-stream" : "converse"}`;
  return signedRequest(ctx, path, JSON.stringify(payload), body.stream ? "application/vnd.amazon.eventstream" : "application/json");
}

/** Titan takes one text per call; Cohere a batch. Other embedding models are not supported yet. */
export function embeddingRequest(body: EmbeddingRequest, ctx: AdapterContext): Promise<UpstreamRequest> {
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
}
