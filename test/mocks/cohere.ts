// Mock of Cohere's v2 API under /cohere (api_base: <mock>/cohere): POST /v2/chat (JSON, or SSE
// events typed message-start, content-start/-delta/-end, tool-plan-delta, tool-call-start/-delta/-end,
// message-end) and POST /v2/embed. Bearer key required; unknown fields, bad roles, tool results
// without tool_call_id and embeddings without input_type are refused with Cohere's `{"id","message"}`.
// Model names: error-<status>; anything else answers (a tool call when tools are offered on a fresh turn).
import type { IncomingMessage, ServerResponse } from "node:http";
import { COHERE_KEY } from "./credentials";
import { json, requestedError, WORDS, TEXT } from "./wire";

const CHAT_FIELDS = new Set([
  "model", "messages", "stream", "tools", "documents", "citation_options", "response_format", "safety_mode", "max_tokens", "stop_sequences",
  "temperature", "seed", "frequency_penalty", "presence_penalty", "k", "p", "logprobs", "tool_choice", "strict_tools", "thinking",
]);
const EMBED_FIELDS = new Set(["model", "texts", "images", "inputs", "input_type", "embedding_types", "output_dimension", "truncate", "max_tokens"]);

const fail = (res: ServerResponse, status: number, message: string) => json(res, status, { id: "7c0ffee0-mock", message });

function validateChat(body: Record<string, any>): string | undefined {
  for (const key of Object.keys(body)) if (!CHAT_FIELDS.has(key)) return `invalid request: unknown field: parameter ${key} is not a valid field`;
  if (!Array.isArray(body.messages) || !body.messages.length) return "invalid request: messages must contain at least one message";
  const callIds = new Set<string>();
  for (const m of body.messages) {
    if (!["system", "user", "assistant", "tool"].includes(m.role)) return `invalid request: invalid role ${m.role}`;
    if (m.role === "assistant") for (const tc of m.tool_calls ?? []) callIds.add(tc.id);
    if (m.role === "tool" && !callIds.has(m.tool_call_id)) return `invalid request: tool message tool_call_id ${m.tool_call_id} does not match a tool call`;
    if (m.role === "user" && Array.isArray(m.content) && m.content.some((p: any) => p.type !== "text" && p.type !== "image_url")) return "invalid request: unsupported content type";
  }
  if (body.tool_choice !== undefined && !["REQUIRED", "NONE"].includes(body.tool_choice)) return "invalid request: tool_choice must be one of REQUIRED, NONE";
  for (const t of body.tools ?? []) if (t.type !== "function" || !t.function?.name) return "invalid request: tools must be of type function";
  return undefined;
}

const usage = { billed_units: { input_tokens: 8, output_tokens: 5 }, tokens: { input_tokens: 71, output_tokens: 5 } };

function sse(res: ServerResponse, data: { type: string } & Record<string, unknown>) {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

export async function cohereMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  if (req.headers.authorization?.toLowerCase() !== `bearer ${COHERE_KEY}`) return fail(res, 401, "invalid api token");
  const failure = requestedError(String(body.model ?? ""));
  if (failure?.status === 429) return fail(res, 429, "You are using a Trial key, which is limited to 10 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'.");
  if (failure) return fail(res, failure.status, `internal server error, this has been reported to our developers. id 7c0ffee0-${failure.status}`);

  if (path === "/cohere/v2/embed") {
    for (const key of Object.keys(body)) if (!EMBED_FIELDS.has(key)) return fail(res, 400, `invalid request: unknown field: parameter ${key} is not a valid field`);
    if (!body.input_type) return fail(res, 400, "invalid request: valid input_type must be provided with the provided model");
    const dims = body.output_dimension ?? 3;
    const vectors = (body.texts ?? []).map((_: string, i: number) => Array.from({ length: dims }, (_x, k) => 0.1 * (k + 1) + i));
    return json(res, 200, { id: "emb-mock-1", embeddings: { float: vectors }, texts: body.texts, meta: { api_version: { version: "2" }, billed_units: { input_tokens: 2 * vectors.length } }, response_type: "embeddings_by_type" });
  }
  if (path !== "/cohere/v2/chat") return fail(res, 404, `mock cohere: no route ${path}`);
  const problem = validateChat(body);
  if (problem) return fail(res, 400, problem);

  const last = body.messages.at(-1);
  const tool = last.role !== "tool" && body.tool_choice !== "NONE" ? body.tools?.[0] : undefined;
  const toolCall = tool && { id: "get_weather_mock1", type: "function", function: { name: tool.function.name, arguments: '{"city":"Paris"}' } };
  const text = body.response_format?.type === "json_object" ? '{"answer":"forty-two"}' : TEXT;
  if (!body.stream) {
    const message = toolCall
      ? { role: "assistant", tool_plan: "I will look up the weather.", tool_calls: [toolCall] }
      : { role: "assistant", content: [{ type: "text", text }] };
    return json(res, 200, { id: "c14c80c3-mock", message, finish_reason: toolCall ? "TOOL_CALL" : "COMPLETE", usage });
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  sse(res, { id: "c14c80c3-mock", type: "message-start", delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } } });
  if (toolCall) {
    sse(res, { type: "tool-plan-delta", delta: { message: { tool_plan: "I will look up the weather." } } });
    sse(res, { type: "tool-call-start", index: 0, delta: { message: { tool_calls: { ...toolCall, function: { name: toolCall.function.name, arguments: "" } } } } });
    for (const part of ['{"city"', ':"Paris"}']) sse(res, { type: "tool-call-delta", index: 0, delta: { message: { tool_calls: { function: { arguments: part } } } } });
    sse(res, { type: "tool-call-end", index: 0 });
  } else {
    sse(res, { type: "content-start", index: 0, delta: { message: { content: { type: "text", text: "" } } } });
    for (const word of text === TEXT ? WORDS : [text]) sse(res, { type: "content-delta", index: 0, delta: { message: { content: { text: word } } } });
    sse(res, { type: "content-end", index: 0 });
  }
  sse(res, { type: "message-end", delta: { finish_reason: toolCall ? "TOOL_CALL" : "COMPLETE", usage } });
  res.end();
}
