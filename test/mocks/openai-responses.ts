// Mock of OpenAI's Responses API under /openai/.../responses (and Azure's /azure/openai/[v1/]responses),
// in its wire format: the Response object, the SSE events in OpenAI's order with sequence numbers,
// stored responses for previous_response_id, GET / DELETE / input_items. As strict as the real one
// about what a passthrough could get wrong: a bearer (or Azure api-key) required, unknown top-level
// parameters refused (LiteLLM's routing controls must not reach it), unknown previous_response_id 400.
// With function tools offered on a fresh turn it calls the first one; otherwise it answers TEXT.
// Model names: error-<status>, stream-break (cut after two deltas).
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { cut, json, requestedError, TEXT, WORDS } from "./wire";

const KNOWN = new Set([
  "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p", "max_output_tokens",
  "reasoning", "text", "stream", "stream_options", "store", "previous_response_id", "metadata", "user", "truncation", "include",
  "background", "service_tier", "prompt_cache_key", "safety_identifier", "max_tool_calls", "top_logprobs", "conversation", "prompt",
]);

export const RESPONSES_USAGE = { input_tokens: 20, input_tokens_details: { cached_tokens: 4 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 27 };

interface Stored {
  response: Record<string, any>;
  input: Record<string, any>[];
  /** Everything this response continued, then its own input and output. */
  conversation: Record<string, any>[];
}

const stored = new Map<string, Stored>();
const hex = () => randomBytes(24).toString("hex");
const openaiError = (res: ServerResponse, status: number, message: string, param: string | null = null, code: string | null = null) =>
  json(res, status, { error: { message, type: "invalid_request_error", param, code } });

function inputItems(input: unknown): Record<string, any>[] {
  const items = typeof input === "string" ? [{ type: "message", role: "user", content: input }] : ((input as Record<string, any>[] | undefined) ?? []);
  return items.map((item) => ({ type: "message", ...item, id: item.id ?? `${item.type === "function_call_output" ? "fco" : "msg"}_${hex()}` }));
}

function responseObject(body: Record<string, any>, id: string, status: string, output: unknown[], usage: unknown) {
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: `${body.model}-2025-01-01`,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: 1,
    truncation: "disabled",
    usage,
    user: null,
    metadata: body.metadata ?? {},
  };
}

/** The output: a call of the first function tool on a fresh user turn, else the mock's text. */
function outputFor(body: Record<string, any>, conversation: Record<string, any>[]): Record<string, any> {
  const tool = (body.tools ?? []).find((t: any) => t.type === "function");
  const last = conversation.at(-1);
  if (tool && body.tool_choice !== "none" && last?.type !== "function_call_output") {
    return { id: `fc_${hex()}`, type: "function_call", status: "completed", arguments: '{"city":"Paris"}', call_id: `call_${hex().slice(0, 24)}`, name: tool.name };
  }
  return { id: `msg_${hex()}`, type: "message", status: "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text: TEXT }], role: "assistant" };
}

function authorized(req: IncomingMessage): boolean {
  return /^Bearer \S+/.test(req.headers.authorization ?? "") || !!req.headers["api-key"];
}

export async function openaiResponsesMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  if (!authorized(req)) return openaiError(res, 401, "You didn't provide an API key.", null, "missing_api_key");
  const m = /\/responses(?:\/([^/]+)(\/input_items)?)?$/.exec(path)!;
  const id = m[1] && decodeURIComponent(m[1]);
  if (id) {
    const entry = stored.get(id);
    if (!entry) return openaiError(res, 404, `Response with id '${id}' not found.`);
    if (req.method === "DELETE") {
      stored.delete(id);
      return json(res, 200, { id, object: "response", deleted: true });
    }
    if (m[2]) {
      const data = [...entry.input].reverse();
      return json(res, 200, { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
    }
    return json(res, 200, entry.response);
  }

  for (const key of Object.keys(body)) if (!KNOWN.has(key)) return openaiError(res, 400, `Unknown parameter: '${key}'.`, key, "unknown_parameter");
  const model = String(body.model ?? "");
  if (!model) return openaiError(res, 400, "Missing required parameter: 'model'.", "model", "missing_required_parameter");
  const failure = requestedError(model);
  if (failure) return json(res, failure.status, { error: { message: `mock responses error ${failure.status}`, type: failure.status === 429 ? "requests" : "server_error", param: null, code: failure.status === 429 ? "rate_limit_exceeded" : null } }, failure.status === 429 ? { "retry-after": "7" } : {});
  let history: Record<string, any>[] = [];
  if (body.previous_response_id) {
    const previous = stored.get(body.previous_response_id);
    if (!previous) return openaiError(res, 400, `Previous response with id '${body.previous_response_id}' not found.`, "previous_response_id", "previous_response_not_found");
    history = previous.conversation;
  }
  const input = inputItems(body.input);
  // An item_reference names an item of a stored response (OpenAI's own ids only).
  const known = new Map([...stored.values()].flatMap((e) => e.conversation.map((item) => [item.id, item] as const)));
  const missing = input.find((item) => item.type === "item_reference" && !known.has(item.id));
  if (missing) return openaiError(res, 400, `Item with id '${missing.id}' not found.`, "input", null);
  const conversation = [...history, ...input.map((item) => (item.type === "item_reference" ? known.get(item.id)! : item))];
  const item = outputFor(body, conversation);
  const id_ = `resp_${hex()}`;
  const final = responseObject(body, id_, "completed", [item], RESPONSES_USAGE);
  if (body.store !== false) stored.set(id_, { response: final, input, conversation: [...conversation, item] });
  if (!body.stream) return json(res, 200, final);

  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  let seq = 0;
  const send = (type: string, fields: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`);
  const started = responseObject(body, id_, "in_progress", [], null);
  send("response.created", { response: started });
  send("response.in_progress", { response: started });
  const at = { item_id: item.id, output_index: 0 };
  if (item.type === "function_call") {
    send("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", arguments: "" } });
    for (const delta of ['{"city"', ':"Paris"}']) send("response.function_call_arguments.delta", { ...at, delta });
    send("response.function_call_arguments.done", { ...at, arguments: item.arguments });
  } else {
    send("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } });
    send("response.content_part.added", { ...at, content_index: 0, part: { type: "output_text", annotations: [], logprobs: [], text: "" } });
    for (const [i, delta] of WORDS.entries()) {
      send("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
      if (model === "stream-break" && i === 1) return await cut(res);
    }
    send("response.output_text.done", { ...at, content_index: 0, text: TEXT, logprobs: [] });
    send("response.content_part.done", { ...at, content_index: 0, part: item.content[0] });
  }
  send("response.output_item.done", { output_index: 0, item });
  send("response.completed", { response: final });
  res.end();
}
