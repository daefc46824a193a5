// A Responses API request as an OpenAI chat-completions request, for deployments that speak only
// chat completions (Anthropic, Gemini, Bedrock, Ollama, Workers AI, OpenAI-compatible servers ...).
// The conversation (the stored history of previous_response_id, then this request's input with
// item_references resolved: record.ts) becomes messages; tools, tool_choice, text.format, reasoning
// and max_output_tokens their chat counterparts. What the bridge cannot honour is refused with a 400
// naming it (built-in tools, background, prompt templates, stored files); hints with no chat
// counterpart are dropped (see README.md, "lossy").
import { GatewayError, badRequest } from "../errors";
import type { ChatMessage, ChatRequest, Tool, ToolCall } from "../schema/openai";
import type { ThinkingBlock } from "../schema/openai";
import { decodeThinking } from "./items";
import type { ContentPart, FunctionCallItem, FunctionCallOutputItem, FunctionTool, InputItem, MessageItem, ReasoningItem, ResponsesRequest } from "../schema/responses";

/** The part of every refusal that says where the feature does work. */
const NATIVE_ONLY = `needs a deployment that speaks the Responses API natively (openai/, azure/, or model_info.supported_endpoints: ["/v1/responses"])`;

const bridgeRefusal = (req: ResponsesRequest, what: string, param: string) =>
  new GatewayError(400, "bad_request", `${what} ${NATIVE_ONLY}; model '${req.model}' is served through chat completions`, { param, code: "unsupported_on_bridge" });

/** This request's input as items (a string is one user message). */
export function inputItemsOf(req: ResponsesRequest): InputItem[] {
  if (req.input === undefined) return [];
  return typeof req.input === "string" ? [{ type: "message", role: "user", content: req.input }] : req.input;
}

/** The history a request continues from (record.ts builds it) and its own input, references resolved. */
export interface Conversation {
  history: InputItem[];
  input: InputItem[];
}

type ChatPart = { type: string; [key: string]: unknown };

function chatPart(req: ResponsesRequest, part: ContentPart, param: string): ChatPart {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: part.text as string };
    case "refusal":
      return { type: "text", text: part.refusal as string };
    case "input_image": {
      const url = part.image_url as string | null | undefined;
      if (!url) throw bridgeRefusal(req, "an input_image given by file_id (the gateway holds no files: send image_url, an https or data URL)", param);
      const detail = part.detail === "low" || part.detail === "high" || part.detail === "auto" ? { detail: part.detail } : {};
      return { type: "image_url", image_url: { url, ...detail } };
    }
    case "input_file": {
      const { file_data: data, filename } = part as { file_data?: string | null; filename?: string | null };
      if (data) return { type: "file", file: { file_data: data, ...(filename ? { filename } : {}) } };
      throw bridgeRefusal(req, "an input_file given by file_id or file_url (the gateway holds no files: send file_data, a base64 data URL)", param);
    }
    default:
      throw bridgeRefusal(req, `content parts of type '${part.type}'`, param);
  }
}

/** Chat content: one text part as a plain string, else the parts. */
function chatContent(req: ResponsesRequest, content: string | ContentPart[], param: string): string | ChatPart[] {
  if (typeof content === "string") return content;
  const parts = content.map((p, i) => chatPart(req, p, `${param}.content[${i}]`));
  return parts.length === 1 && parts[0].type === "text" ? (parts[0].text as string) : parts;
}

const textOf = (req: ResponsesRequest, content: string | ContentPart[], param: string) => {
  const c = chatContent(req, content, param);
  return typeof c === "string" ? c : c.map((p) => (p.type === "text" ? (p.text as string) : "")).join("");
};

/** One assistant message gathered from consecutive assistant-side items (reasoning, message, function_call). */
interface AssistantTurn {
  text: string;
  thinking: ThinkingBlock[];
  toolCalls: ToolCall[];
}

function assistantMessage(turn: AssistantTurn): ChatMessage {
  const message: ChatMessage = { role: "assistant", content: turn.text || (turn.toolCalls.length ? null : "") };
  if (turn.toolCalls.length) message.tool_calls = turn.toolCalls;
  if (turn.thinking.length) message.thinking_blocks = turn.thinking;
  return message;
}

/**
 * Items -> chat messages. Chat wants one assistant message per turn, its tool calls answered by the
 * tool messages right after it: consecutive assistant-side items merge into one message, and images
 * a tool returned follow the run of tool messages as a user message.
 */
function chatMessages(req: ResponsesRequest, items: InputItem[], inputOffset: number): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let turn: AssistantTurn | undefined;
  let toolImages: ChatPart[] = [];
  const flushTurn = () => {
    // A turn of reasoning alone (OpenAI's own, which only OpenAI reads) sends nothing.
    if (turn && (turn.text || turn.toolCalls.length || turn.thinking.length)) messages.push(assistantMessage(turn));
    turn = undefined;
  };
  const flushToolImages = () => {
    if (toolImages.length) messages.push({ role: "user", content: toolImages as ChatMessage["content"] });
    toolImages = [];
  };
  const assistantTurn = () => (turn ??= { text: "", thinking: [], toolCalls: [] });

  items.forEach((item, i) => {
    // Items of the stored history have no place in this request's body: name them by type only.
    const param = i >= inputOffset ? `input[${i - inputOffset}]` : "previous_response_id";
    if (item.type !== "function_call_output") flushToolImages();
    switch (item.type) {
      case "message": {
        const m = item as MessageItem;
        if (m.role === "assistant") {
          assistantTurn().text += textOf(req, m.content, param);
          return;
        }
        flushTurn();
        messages.push({ role: m.role, content: chatContent(req, m.content, param) as ChatMessage["content"] });
        return;
      }
      case "function_call": {
        const c = item as FunctionCallItem;
        assistantTurn().toolCalls.push({ id: c.call_id, type: "function", function: { name: c.name, arguments: c.arguments } });
        return;
      }
      case "reasoning":
        // Only Anthropic-style thinking (with its signature) goes back up; reasoning text is not
        // re-sent, as on OpenAI, and some servers (DeepSeek) refuse reasoning_content in input.
        assistantTurn().thinking.push(...decodeThinking((item as ReasoningItem).encrypted_content));
        return;
      case "function_call_output": {
        flushTurn();
        const o = item as FunctionCallOutputItem;
        if (typeof o.output === "string") {
          messages.push({ role: "tool", tool_call_id: o.call_id, content: o.output });
          return;
        }
        const parts = o.output.map((p, j) => chatPart(req, p, `${param}.output[${j}]`));
        const text = parts.filter((p) => p.type === "text").map((p) => p.text as string).join("");
        messages.push({ role: "tool", tool_call_id: o.call_id, content: text });
        toolImages.push(...parts.filter((p) => p.type !== "text"));
        return;
      }
      case "item_reference":
        throw new GatewayError(400, "bad_request", `Item with id '${item.id as string}' not found.`, { param });
      default:
        throw bridgeRefusal(req, `input items of type '${item.type}'`, param);
    }
  });
  flushTurn();
  flushToolImages();
  return messages;
}

function chatTools(req: ResponsesRequest): Tool[] {
  return (req.tools ?? []).map((tool, i) => {
    if (tool.type !== "function") throw bridgeRefusal(req, `tool '${tool.type}' is one of OpenAI's built-in tools, which`, `tools[${i}]`);
    const t = tool as FunctionTool;
    const fn: Tool["function"] = { name: t.name };
    if (t.description) fn.description = t.description;
    if (t.parameters) fn.parameters = t.parameters;
    if (t.strict != null) fn.strict = t.strict;
    return { type: "function", function: fn };
  });
}

/** tool_choice in chat's terms; `allowed_tools` narrows the tool list instead (chat adapters have no such choice). */
function applyToolChoice(req: ResponsesRequest, body: ChatRequest): void {
  const choice = req.tool_choice;
  if (choice === undefined) return;
  if (typeof choice === "string") {
    body.tool_choice = choice;
    return;
  }
  if (choice.type === "function") {
    body.tool_choice = { type: "function", function: { name: choice.name as string } };
  } else if (choice.type === "allowed_tools") {
    // Built-in tools among them were refused with the tool list already.
    const { mode, tools } = choice as { mode: "auto" | "required"; tools: { type: string; name?: string }[] };
    const allowed = new Set(tools.flatMap((t) => (t.type === "function" && t.name ? [t.name] : [])));
    body.tools = body.tools?.filter((t) => allowed.has(t.function.name));
    if (body.tools?.length) body.tool_choice = mode;
    else delete body.tools;
  } else {
    throw bridgeRefusal(req, `tool_choice of type '${choice.type}'`, "tool_choice");
  }
}

function responseFormat(req: ResponsesRequest): ChatRequest["response_format"] {
  const format = req.text?.format;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema") {
    const f = format as { name: string; schema: Record<string, unknown>; description?: string | null; strict?: boolean | null };
    const jsonSchema: Record<string, unknown> = { name: f.name, schema: f.schema };
    if (f.description) jsonSchema.description = f.description;
    if (f.strict != null) jsonSchema.strict = f.strict;
    return { type: "json_schema", json_schema: jsonSchema as { name: string } };
  }
  throw bridgeRefusal(req, `text.format of type '${format.type}'`, "text.format");
}

/** LiteLLM's per-request routing controls, carried over as they are. */
const ROUTING_PARAMS = ["fallbacks", "num_retries", "timeout", "disable_fallbacks", "mock_testing_fallbacks", "cache", "tags", "drop_params"] as const;

/** LiteLLM's routing controls, user and metadata of the request, onto a chat body: they act in the gateway whichever deployment serves it. */
function gatewayFields(req: ResponsesRequest, body: ChatRequest): ChatRequest {
  if (req.user) body.user = req.user;
  if (req.metadata) body.metadata = req.metadata;
  for (const key of ROUTING_PARAMS) if (req[key] !== undefined) (body as Record<string, unknown>)[key] = req[key];
  return body;
}

/**
 * The chat form of a request only a native deployment can serve: never sent anywhere, it carries
 * what the gateway reads of every call (prompt estimate, output bound, stream, routing controls).
 */
export function estimateChatRequest(req: ResponsesRequest): ChatRequest {
  const input = typeof req.input === "string" ? req.input : JSON.stringify(req.input ?? []);
  const body: ChatRequest = { model: req.model, messages: [{ role: "user", content: [req.instructions ?? "", input].join("\n") }] };
  if (req.max_output_tokens != null) body.max_completion_tokens = req.max_output_tokens;
  if (req.stream) body.stream = true;
  return gatewayFields(req, body);
}

/**
 * The chat-completions request for a Responses request on a bridged deployment. `conversation`
 * defaults to the request's own input (no previous_response_id, no item_reference).
 */
export function toChatRequest(req: ResponsesRequest, conversation: Conversation = { history: [], input: inputItemsOf(req) }): ChatRequest {
  const extra = req as Record<string, unknown>;
  if (req.background) throw bridgeRefusal(req, "background: true", "background");
  if (extra.conversation != null) throw bridgeRefusal(req, "conversation", "conversation");
  if (extra.prompt != null) throw bridgeRefusal(req, "prompt (a stored prompt template)", "prompt");

  const messages: ChatMessage[] = [];
  if (req.instructions) messages.push({ role: "system", content: req.instructions });
  messages.push(...chatMessages(req, [...conversation.history, ...conversation.input], conversation.history.length));
  if (!messages.length) throw badRequest("input: nothing to send (no instructions and no input items)", "input");

  const body: ChatRequest = { model: req.model, messages };
  const tools = chatTools(req);
  if (tools.length) {
    body.tools = tools;
    applyToolChoice(req, body);
    if (req.parallel_tool_calls != null) body.parallel_tool_calls = req.parallel_tool_calls;
  }
  const format = responseFormat(req);
  if (format) body.response_format = format;
  if (req.max_output_tokens != null) body.max_completion_tokens = req.max_output_tokens;
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.top_p = req.top_p;
  // Chat-completions providers know efforts up to "high"; OpenAI's newer "xhigh" and "max" ask for the most.
  if (req.reasoning?.effort) body.reasoning_effort = req.reasoning.effort === "xhigh" || req.reasoning.effort === "max" ? "high" : req.reasoning.effort;
  if (req.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return gatewayFields(req, body);
}
