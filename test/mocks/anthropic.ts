// Mock of Anthropic's Messages API under /anthropic (api_base: <mock>/anthropic), in its real wire
// format, and as strict as the real one about what a translation could get wrong: x-api-key and
// anthropic-version required, max_tokens required, unknown top-level fields refused, roles alternating,
// no empty content, tool_result ids matching the previous tool_use.
// Model names pick behaviour: error-<status>[-context|-policy], stream-error, stream-break, think-*.
import type { IncomingMessage, ServerResponse } from "node:http";
import { cut, json, requestedError, WORDS, TEXT } from "./wire";

const ALLOWED = new Set([
  "model", "messages", "max_tokens", "system", "stop_sequences", "stream", "temperature", "top_p", "top_k", "tools",
  "tool_choice", "metadata", "thinking", "service_tier", "container", "mcp_servers", "context_management",
]);

const error = (res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}) =>
  json(res, status, { type: "error", error: { type, message } }, { "request-id": "req_mock", ...headers });

const bad = (res: ServerResponse, message: string) => error(res, 400, "invalid_request_error", message);

/** Returns an error message when the body is not a request Anthropic would accept. */
function validate(body: Record<string, any>, countOnly: boolean): string | undefined {
  for (const key of Object.keys(body)) if (!ALLOWED.has(key)) return `${key}: Extra inputs are not permitted`;
  if (!countOnly && typeof body.max_tokens !== "number") return "max_tokens: Field required";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages: at least one message is required";
  let prev: any;
  for (const [i, m] of body.messages.entries()) {
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (prev && prev.role === m.role) return `messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`;
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    for (const b of blocks) {
      if (b.type === "text" && !b.text) return `messages.${i}: text content blocks must be non-empty`;
      if (b.type === "tool_result") {
        const ids = Array.isArray(prev?.content) ? prev.content.filter((x: any) => x.type === "tool_use").map((x: any) => x.id) : [];
        if (!ids.includes(b.tool_use_id)) return `messages.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}`;
      }
      if (b.type === "image" && !["base64", "url"].includes(b.source?.type)) return `messages.${i}: bad image source`;
    }
    prev = m;
  }
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) return "system: Input should be a valid string or list";
  for (const t of body.tools ?? []) if (!t.type && (!t.input_schema || t.input_schema.type !== "object")) return "tools.input_schema.type: Field required";
  if (body.thinking?.type === "enabled" && body.max_tokens <= body.thinking.budget_tokens) return "`max_tokens` must be greater than `thinking.budget_tokens`";
  if (body.thinking?.type === "enabled" && ["any", "tool"].includes(body.tool_choice?.type)) return "Thinking may not be enabled when tool_choice forces tool use.";
  return undefined;
}

const usage = { input_tokens: 12, output_tokens: 6, cache_creation_input_tokens: 2, cache_read_input_tokens: 3 };

/** The content the mock answers with: a tool call when tools are offered on a fresh user turn, else text. */
function answer(body: Record<string, any>): { content: any[]; stop: string } {
  const content: any[] = [];
  if (body.thinking?.type === "enabled") content.push({ type: "thinking", thinking: "Let me think.", signature: "sig_mock_abc" });
  const last = body.messages.at(-1);
  const freshTurn = typeof last.content === "string" || !last.content.some((b: any) => b.type === "tool_result");
  const forced = body.tool_choice?.type === "tool" ? body.tools.find((t: any) => t.name === body.tool_choice.name) : undefined;
  const custom = (body.tools ?? []).filter((t: any) => !t.type || t.type === "custom");
  const tool = forced ?? (freshTurn && body.tool_choice?.type !== "none" ? custom[0] : undefined);
  if (tool) {
    const input = tool.name === "json_tool_call" ? { answer: "forty-two" } : { city: "Paris" };
    if (!forced) content.push({ type: "text", text: "Let me check." });
    content.push({ type: "tool_use", id: "toolu_mock_1", name: tool.name, input });
    return { content, stop: "tool_use" };
  }
  content.push({ type: "text", text: TEXT });
  return { content, stop: body.model.includes("maxed") ? "max_tokens" : "end_turn" };
}

function event(res: ServerResponse, data: { type: string }) {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

export async function anthropicMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  if (!req.headers["x-api-key"]) return error(res, 401, "authentication_error", "x-api-key header is required");
  if (req.headers["x-api-key"] === "sk-ant-wrong") return error(res, 401, "authentication_error", "invalid x-api-key");
  if (!req.headers["anthropic-version"]) return bad(res, "anthropic-version: header is required");
  return anthropicRespond(res, body, path.endsWith("/count_tokens"));
}

/** Answers a Messages request whose credentials were checked (here, or by the Vertex AI mock). */
export async function anthropicRespond(res: ServerResponse, body: Record<string, any>, countOnly: boolean) {
  const model = String(body.model ?? "");
  const failure = requestedError(model);
  if (failure) {
    const { status, variant } = failure;
    if (status === 400 && variant === "context") return bad(res, "prompt is too long: 208310 tokens > 200000 maximum");
    if (status === 400 && variant === "policy") return bad(res, "Output blocked by content filtering policy");
    if (status === 400) return bad(res, "temperature: Input should be less than or equal to 1");
    if (status === 401) return error(res, 401, "authentication_error", "invalid x-api-key");
    if (status === 429) return error(res, 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", { "retry-after": "7" });
    if (status === 529) return error(res, 529, "overloaded_error", "Overloaded");
    return error(res, status, "api_error", "Internal server error");
  }
  const problem = validate(body, countOnly);
  if (problem) return bad(res, problem);
  if (countOnly) return json(res, 200, { input_tokens: 42 });

  const { content, stop } = answer(body);
  const message = { id: "msg_mock_1", type: "message", role: "assistant", model, content, stop_reason: stop, stop_sequence: null, usage };
  if (!body.stream) return json(res, 200, message);

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  event(res, { type: "message_start", message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } } as any);
  event(res, { type: "ping" });
  if (model === "stream-error") {
    event(res, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } as any);
    return res.end();
  }
  for (const [index, block] of content.entries()) {
    if (block.type === "text") {
      event(res, { type: "content_block_start", index, content_block: { type: "text", text: "" } } as any);
      for (const [i, word] of (block.text === TEXT ? WORDS : [block.text]).entries()) {
        event(res, { type: "content_block_delta", index, delta: { type: "text_delta", text: word } } as any);
        if (model === "stream-break" && i === 1) return await cut(res);
      }
    } else if (block.type === "thinking") {
      event(res, { type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } } as any);
      event(res, { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: block.thinking } } as any);
      event(res, { type: "content_block_delta", index, delta: { type: "signature_delta", signature: block.signature } } as any);
    } else if (block.type === "tool_use") {
      event(res, { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } } as any);
      const args = JSON.stringify(block.input);
      const cutAt = Math.floor(args.length / 2);
      for (const part of [args.slice(0, cutAt), args.slice(cutAt)]) event(res, { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: part } } as any);
    }
    event(res, { type: "content_block_stop", index } as any);
  }
  event(res, { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } } as any);
  event(res, { type: "message_stop" });
  res.end();
}
