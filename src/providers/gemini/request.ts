// OpenAI chat and embedding requests -> Gemini's generateContent / streamGenerateContent and
// batchEmbedContents bodies (canonical camelCase field names), and JSON Schema -> Gemini's schema subset.
import { badRequest } from "../../errors";
import type { ChatMessage, ChatRequest, EmbeddingRequest } from "../../schema/openai";
import {
  fileOf,
  imageUrlOf,
  loadInlineData,
  parseToolArguments,
  partsOf,
  textOf,
  thinkingBudget,
} from "../shared/content";
import { textInputs } from "../shared/embeddings";
import { samplingParams } from "../shared/sampling";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "https://generativelanguage.googleapis.com";
const SIGNATURE_MARK = "__thought__";

export const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop",
  "n", "presence_penalty", "frequency_penalty", "seed", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user", "reasoning_effort",
]);
export const EMBEDDING_PARAMS = new Set(["model", "input", "user", "dimensions", "encoding_format"]);

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

export function target(ctx: AdapterContext, method: string): Omit<UpstreamRequest, "body"> {
  const { params, model } = ctx.deployment;
  let base = (params.api_base ?? envString(ctx, "GEMINI_API_BASE") ?? DEFAULT_BASE).replace(/\/+$/, "");
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
export const encodeId = (id: string, signature?: string) => (signature ? `${id}${SIGNATURE_MARK}${signature}` : id);
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

/** OpenAI sampling params -> Gemini's generationConfig. */
const GENERATION_CONFIG = {
  max_tokens: "maxOutputTokens", temperature: "temperature", top_p: "topP", top_k: "topK", stop: "stopSequences", n: "candidateCount",
  presence_penalty: "presencePenalty", frequency_penalty: "frequencyPenalty", seed: "seed",
};

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

  const generationConfig = samplingParams(body, GENERATION_CONFIG);
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

export async function chatRequest(body: ChatRequest, ctx: AdapterContext): Promise<UpstreamRequest> {
  const payload = await toGeminiRequest(body);
  const t = target(ctx, body.stream ? "streamGenerateContent" : "generateContent");
  return { ...t, url: body.stream ? `${t.url}?alt=sse` : t.url, body: JSON.stringify(payload) };
}

export function embeddingRequest(body: EmbeddingRequest, ctx: AdapterContext): UpstreamRequest {
  const model = ctx.deployment.model.includes("/") ? ctx.deployment.model : `models/${ctx.deployment.model}`;
  const requests = textInputs(body, "gemini").map((text) => ({
    model,
    content: { parts: [{ text }] },
    ...(body.dimensions ? { outputDimensionality: body.dimensions } : {}),
  }));
  return { ...target(ctx, "batchEmbedContents"), body: JSON.stringify({ requests }) };
}
