// Mock of Google AI Studio's Gemini API under /gemini (api_base: <mock>/gemini), in its wire format:
// {model}:generateContent, :streamGenerateContent?alt=sse (CRLF-separated events), :batchEmbedContents,
// Google's error body. Strict where a translation could slip: key required, unknown fields refused
// (additionalProperties in schemas, as the real API does), roles alternating, functionResponse names
// matching the calls, and thought signatures required back on function calls of "think-" models.
// Model names: error-<status>[-context|-key], blocked, unsafe, think-*, stream-break.
import type { IncomingMessage, ServerResponse } from "node:http";
import { cut, json, requestedError, WORDS, TEXT } from "./wire";

const SIGNATURE = "c2lnLW1vY2stMQ==";
const TOP_LEVEL = new Set(["contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config", "generationConfig", "generation_config", "safetySettings", "cachedContent"]);
const STATUS_NAMES: Record<number, string> = { 400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE" };

const error = (res: ServerResponse, code: number, message: string, details: object[] = []) =>
  json(res, code, { error: { code, message, status: STATUS_NAMES[code] ?? "UNKNOWN", ...(details.length ? { details } : {}) } });

function findUnknownSchemaKey(schema: any): string | undefined {
  if (!schema || typeof schema !== "object") return undefined;
  for (const bad of ["additionalProperties", "$ref", "$defs", "$schema", "const"]) if (bad in schema) return bad;
  if (Array.isArray(schema.type)) return "type (list)";
  for (const child of [...Object.values(schema.properties ?? {}), schema.items, ...(schema.anyOf ?? [])]) {
    const found = findUnknownSchemaKey(child);
    if (found) return found;
  }
  return undefined;
}

function validate(body: Record<string, any>, model: string): string | undefined {
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
  if (!Array.isArray(body.contents) || !body.contents.length) return "* GenerateContentRequest.contents: contents is not specified";
  const calls: string[] = [];
  let prev: string | undefined;
  for (const [i, c] of body.contents.entries()) {
    if (c.role !== "user" && c.role !== "model") return `Please use a valid role: user, model. (contents[${i}])`;
    if (c.role === prev) return "Please ensure that multiturn requests alternate between user and model.";
    if (!Array.isArray(c.parts) || !c.parts.length) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    for (const p of c.parts) {
      if (p.functionCall) {
        calls.push(p.functionCall.name);
        if (model.startsWith("think") && !p.thoughtSignature) return `Function call is missing a thought_signature in functionCall parts. (contents[${i}])`;
      }
      if (p.functionResponse && !calls.includes(p.functionResponse.name)) return `functionResponse name ${p.functionResponse.name} does not match a function call`;
    }
    prev = c.role;
  }
  for (const decl of body.tools?.[0]?.functionDeclarations ?? []) {
    const bad = findUnknownSchemaKey(decl.parameters);
    if (bad) return `Invalid JSON payload received. Unknown name "${bad}" at 'tools[0].function_declarations[0].parameters': Cannot find field.`;
    if (decl.parameters && !Object.keys(decl.parameters.properties ?? {}).length) return "parameters.properties: should be non-empty for OBJECT type";
  }
  const bad = findUnknownSchemaKey(body.generationConfig?.responseSchema);
  if (bad) return `Invalid JSON payload received. Unknown name "${bad}" at 'generation_config.response_schema': Cannot find field.`;
  return undefined;
}

function candidateParts(body: Record<string, any>, model: string): { parts: any[]; finish: string } {
  const parts: any[] = [];
  if (body.generationConfig?.thinkingConfig?.includeThoughts) parts.push({ text: "Thinking it over.", thought: true });
  const last = body.contents.at(-1);
  const answeringTool = last.parts.some((p: any) => p.functionResponse);
  const tools = body.tools?.[0]?.functionDeclarations ?? [];
  const mode = body.toolConfig?.functionCallingConfig?.mode;
  if (tools.length && !answeringTool && mode !== "NONE") {
    const name = body.toolConfig?.functionCallingConfig?.allowedFunctionNames?.[0] ?? tools[0].name;
    parts.push({ functionCall: { name, args: { city: "Paris" } }, ...(model.startsWith("think") ? { thoughtSignature: SIGNATURE } : {}) });
    return { parts, finish: "STOP" };
  }
  const text = body.generationConfig?.responseMimeType === "application/json" ? '{"answer":"forty-two"}' : TEXT;
  parts.push({ text });
  return { parts, finish: model === "unsafe" ? "SAFETY" : "STOP" };
}

export async function geminiMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  const m = /^\/gemini\/v1beta\/models\/([^:]+):(\w+)$/.exec(path);
  if (!m) return error(res, 404, `mock gemini: no route ${path}`);
  const [, model, method] = m;
  const key = req.headers["x-goog-api-key"];
  if (!key) return error(res, 403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
  if (key === "bad-key" || requestedError(model)?.variant === "key") {
    return error(res, 400, "API key not valid. Please pass a valid API key.", [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }]);
  }
  return geminiRespond(req, res, model, method, body);
}

/** Answers a generateContent / streamGenerateContent / batchEmbedContents request whose credentials were checked (here, or by the Vertex AI mock). */
export async function geminiRespond(req: IncomingMessage, res: ServerResponse, model: string, method: string, body: Record<string, any>) {
  const failure = requestedError(model);
  if (failure) {
    if (failure.status === 400 && failure.variant === "context") return error(res, 400, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).");
    if (failure.status === 429) {
      return error(res, 429, "You exceeded your current quota, please check your plan and billing details.", [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }]);
    }
    if (failure.status === 503) return error(res, 503, "The model is overloaded. Please try again later.");
    return error(res, failure.status, "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
  }

  if (method === "batchEmbedContents") {
    if (!Array.isArray(body.requests)) return error(res, 400, "requests is required");
    for (const r of body.requests) if (r.model !== `models/${model}`) return error(res, 400, `* BatchEmbedContentsRequest.model: model ${r.model} does not match ${model}`);
    return json(res, 200, { embeddings: body.requests.map((r: any, i: number) => ({ values: Array.from({ length: r.outputDimensionality ?? 3 }, (_, k) => 0.25 * (k + 1) + i) })) });
  }
  const problem = validate(body, model);
  if (problem) return error(res, 400, problem);

  const n = body.generationConfig?.candidateCount ?? 1;
  const thoughts = body.generationConfig?.thinkingConfig?.includeThoughts ? 3 : 0;
  const usageMetadata = { promptTokenCount: 9, candidatesTokenCount: 5, totalTokenCount: 14 + thoughts, cachedContentTokenCount: 2, ...(thoughts ? { thoughtsTokenCount: thoughts } : {}) };
  const base = { modelVersion: `${model}-001`, responseId: "resp-mock-1" };
  if (model === "blocked") return json(res, 200, { promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, ...base });

  const { parts, finish } = candidateParts(body, model);
  if (method === "generateContent") {
    const candidates = Array.from({ length: n }, (_, index) => ({ content: { role: "model", parts }, finishReason: finish, index }));
    return json(res, 200, { candidates, usageMetadata, ...base });
  }
  if (method !== "streamGenerateContent" || !req.url?.includes("alt=sse")) return error(res, 400, "mock gemini: streams need ?alt=sse");
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (o: object) => res.write(`data: ${JSON.stringify(o)}\r\n\r\n`);
  const textPart = parts.find((p) => p.text !== undefined && !p.thought);
  const pieces = textPart?.text === TEXT ? WORDS : textPart ? [textPart.text] : [];
  const first = parts.filter((p) => p !== textPart);
  if (first.length) send({ candidates: [{ content: { role: "model", parts: first }, index: 0 }], usageMetadata: { promptTokenCount: 9 }, ...base });
  for (const [i, word] of pieces.entries()) {
    const last = i === pieces.length - 1;
    send({ candidates: [{ content: { role: "model", parts: [{ text: word }] }, index: 0, ...(last ? { finishReason: finish } : {}) }], usageMetadata: last ? usageMetadata : { promptTokenCount: 9 }, ...base });
    if (model === "stream-break" && i === 1) return await cut(res);
  }
  if (!pieces.length) send({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: finish, index: 0 }], usageMetadata, ...base });
  res.end();
}
