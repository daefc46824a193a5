// Reading OpenAI chat messages, for the adapters that translate them into another wire format:
// text of a content field, images and files (data URLs, or http URLs fetched when a provider takes
// bytes only), tool-call arguments, and the reasoning fields LiteLLM adds to assistant messages.
import { GatewayError } from "../../errors";
import { readCapped } from "../../lib/body";
import type { ChatMessage, CompletionRequest, ThinkingBlock } from "../../schema/openai";

export type ContentPart = Exclude<ChatMessage["content"], string | null | undefined>[number];

/** The text of a message's content (text parts joined). */
export function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((p) => (p.type === "text" ? (p.text ?? "") : "")).join("");
}

/** Content as a list of parts (a string becomes one text part). */
export function partsOf(content: ChatMessage["content"]): ContentPart[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  return content ?? [];
}

/** The URL of an image_url part (a string or `{url}`). */
export function imageUrlOf(part: ContentPart): string {
  return typeof part.image_url === "string" ? part.image_url : (part.image_url?.url ?? "");
}

/** OpenAI's file part `{type:"file", file:{file_data:"data:...", filename}}` (PDFs and other documents). */
export function fileOf(part: ContentPart): { data: string; filename?: string } | undefined {
  const file = (part as { file?: { file_data?: string; filename?: string } }).file;
  return file?.file_data ? { data: file.file_data, filename: file.filename } : undefined;
}

/** LiteLLM's prompt-caching marker on a content part or message. */
export function cacheControlOf(x: object): { type: string } | undefined {
  const cc = (x as { cache_control?: { type?: unknown } }).cache_control;
  return cc && typeof cc.type === "string" ? { type: cc.type } : undefined;
}

export interface InlineData {
  mediaType: string;
  /** Base64 payload. */
  data: string;
}

/** `data:<media type>;base64,<data>`, or undefined for anything else. */
export function parseDataUrl(url: string): InlineData | undefined {
  const m = /^data:([^;,]+)?(;[^,]*)?,(.*)$/s.exec(url);
  if (!m || !m[2]?.includes("base64")) return undefined;
  return { mediaType: m[1] ?? "application/octet-stream", data: m[3] };
}

const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const EXTENSION_TYPES: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", pdf: "application/pdf" };

/**
 * An image_url as inline bytes: data URLs are decoded, http(s) URLs fetched (capped at 20 MB), for
 * providers that take no URLs (Bedrock, Gemini). Failures are the client's 400, naming the URL.
 */
export async function loadInlineData(url: string, param = "messages"): Promise<InlineData> {
  const inline = parseDataUrl(url);
  if (inline) return inline;
  if (!/^https?:\/\//i.test(url)) {
    throw new GatewayError(400, "bad_request", "image_url must be an http(s) URL or a base64 data URL", { param });
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: "image/*,application/pdf" } });
  } catch {
    throw new GatewayError(400, "bad_request", `Could not fetch image_url ${url}`, { param });
  }
  if (!res.ok) {
    res.body?.cancel().catch(() => {});
    throw new GatewayError(400, "bad_request", `Could not fetch image_url ${url}: HTTP ${res.status}`, { param });
  }
  const { bytes, truncated } = await readCapped(res.body, MAX_IMAGE_BYTES);
  if (truncated) throw new GatewayError(400, "bad_request", `image_url ${url} is larger than 20 MB`, { param });
  const header = res.headers.get("content-type")?.split(";")[0].trim();
  const ext = /\.(\w+)(?:\?|#|$)/.exec(url)?.[1]?.toLowerCase() ?? "";
  const mediaType = header && header !== "application/octet-stream" ? header : (EXTENSION_TYPES[ext] ?? "image/jpeg");
  return { mediaType, data: base64(bytes) };
}

/** A tool call's `arguments` JSON text as an object (providers take objects). */
export function parseToolArguments(args: string | undefined): Record<string, unknown> {
  if (!args || !args.trim()) return {};
  try {
    const value = JSON.parse(args) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    throw new GatewayError(400, "bad_request", "tool_calls[].function.arguments must be a JSON object", { param: "messages" });
  }
}


export function thinkingBlocksOf(message: ChatMessage): ThinkingBlock[] {
  const blocks = (message as { thinking_blocks?: unknown }).thinking_blocks;
  return Array.isArray(blocks) ? (blocks as ThinkingBlock[]).filter((b) => b && (b.type === "thinking" || b.type === "redacted_thinking")) : [];
}

/** OpenAI's reasoning_effort as a thinking budget in tokens (LiteLLM's mapping); 0 turns thinking off. */
export function thinkingBudget(effort: unknown): number | undefined {
  switch (effort) {
    case undefined:
    case null:
      return undefined;
    case "none":
    case "disable":
      return 0;
    case "minimal":
    case "low":
      return 1024;
    case "medium":
      return 2048;
    case "high":
      return 4096;
    default:
      throw new GatewayError(400, "bad_request", `reasoning_effort must be one of none, minimal, low, medium, high (got ${JSON.stringify(effort)})`, { param: "reasoning_effort" });
  }
}

/** A stable tool-call id for providers that send none (Gemini, Workers AI, Ollama). */
export function toolCallId(callId: string, index: number): string {
  return `call_${callId.replaceAll("-", "").slice(-16)}_${index}`;
}

/** A completion's prompt for providers that take one text prompt: a string, or a list of one string. */
export function onePrompt(body: CompletionRequest, provider: string): string {
  if (typeof body.prompt === "string") return body.prompt;
  if (Array.isArray(body.prompt) && body.prompt.length === 1 && typeof body.prompt[0] === "string") return body.prompt[0];
  throw new GatewayError(400, "bad_request", `${provider} completions take one text prompt`, { param: "prompt" });
}
