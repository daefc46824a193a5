// What a cached answer is filed under: SHA-256 of the model group and every field of the request that
// can change the answer, canonicalised (key order, defaults dropped), in the client's format. Never the
// caller's key: two keys asking the same question share the answer, as in LiteLLM.
import type { LlmCall } from "../core/call";
import type { CacheCallKind } from "../core/cache-settings";
import { sha256Hex, stableStringify } from "../lib/sha256";
import { GATEWAY_PARAMS } from "../schema/openai";

/** Bump to orphan every entry when the key's material changes meaning. */
const KEY_VERSION = 1;

/** Fields that steer the gateway, not the model (fallbacks, cache, metadata, ...), and `user`, which only labels the call. */
const NOT_IN_KEY: ReadonlySet<string> = new Set([...GATEWAY_PARAMS, "model", "user", "stream_options"]);
/** Values equal to what omitting the field means. */
const DEFAULTS: Readonly<Record<string, unknown>> = { stream: false, n: 1, logprobs: false, echo: false, encoding_format: "float" };
/** Request headers an anthropic/ deployment acts on. */
const ANTHROPIC_HEADERS = ["anthropic-beta", "anthropic-version"] as const;

/** The kind of call for the cache's `supported_call_types`; undefined for calls it never caches (images, audio, files, ...). */
export function cacheKindOf(call: LlmCall): CacheCallKind | undefined {
  if (call.client?.api === "anthropic") return "messages";
  const endpoint = call.endpoint;
  return endpoint === "chat" || endpoint === "completion" || endpoint === "embedding" ? endpoint : undefined;
}

/** A message's content as plain text when it is only text parts: `"hi"` and `[{type:"text",text:"hi"}]` ask the same. */
function canonicalContent(content: unknown): unknown {
  if (!Array.isArray(content) || !content.every((p) => p && typeof p === "object" && p.type === "text" && typeof p.text === "string" && Object.keys(p).length === 2)) return content;
  return content.map((p: { text: string }) => p.text).join("");
}

function canonicalParams(body: Record<string, unknown>, dropped: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in body) {
    const value = body[name];
    if (value === null || value === undefined || dropped.has(name) || DEFAULTS[name] === value) continue;
    if (Array.isArray(value) && value.length === 0 && (name === "tools" || name === "stop")) continue;
    out[name] = value;
  }
  if (typeof out.stop === "string") out.stop = [out.stop];
  if (Array.isArray(out.messages)) {
    out.messages = out.messages.map((m: Record<string, unknown>) => (Array.isArray(m.content) ? { ...m, content: canonicalContent(m.content) } : m));
  }
  // The usage chunk is part of a stream's answer.
  const streamOptions = body.stream_options as { include_usage?: unknown } | null | undefined;
  if (out.stream === true && streamOptions?.include_usage === true) out.include_usage = true;
  return out;
}

/** Everything the answer depends on, as one object (its stable JSON is what is hashed). */
export function keyMaterial(call: LlmCall): Record<string, unknown> {
  const client = call.client;
  if (client?.api === "anthropic") {
    // The client's own body: an anthropic/ deployment answers it as is (cache_control, top_k, thinking...).
    const headers: Record<string, string> = {};
    for (const h of ANTHROPIC_HEADERS) if (client.headers[h]) headers[h] = client.headers[h];
    return { v: KEY_VERSION, api: "anthropic", model: call.group.name, params: canonicalParams(client.body, new Set(["model", "metadata"])), headers };
  }
  return { v: KEY_VERSION, api: "openai", endpoint: call.endpoint, model: call.group.name, params: canonicalParams(call.request.body as Record<string, unknown>, NOT_IN_KEY) };
}

export const hashMaterial = (material: unknown): Promise<string> => sha256Hex(stableStringify(material));

/** One key per embedding input: the request without `input`, plus the item. */
export function embeddingItemKeys(call: LlmCall, items: readonly unknown[]): Promise<string[]> {
  const material = keyMaterial(call);
  const params = { ...(material.params as Record<string, unknown>) };
  delete params.input;
  const base = stableStringify({ ...material, params });
  return Promise.all(items.map((item) => sha256Hex(`${base}\n${stableStringify(item)}`)));
}

/** Where the semantic cache looks: the prompt it compares, and everything else (the scope it compares within). */
export interface SemanticQuestion {
  /** The last user message's text (chat), or the prompt (completion). */
  text: string;
  /** Everything else the answer depends on: only entries of the same scope may match. */
  material: Record<string, unknown>;
}

/** The text of a message's content: a string, or its text parts (OpenAI and Anthropic shapes alike). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((p) => p && typeof p === "object" && p.type === "text" && typeof p.text === "string")
    .map((p: { text: string }) => p.text)
    .join("\n");
}

/** The question a semantic lookup compares, or undefined when the request has no plain-text prompt to compare. */
export function semanticQuestion(call: LlmCall, material: Record<string, unknown>): SemanticQuestion | undefined {
  const params = material.params as Record<string, unknown>;
  if (typeof params.prompt === "string") return params.prompt.trim() ? { text: params.prompt, material: { ...material, params: { ...params, prompt: null } } } : undefined;
  const messages = params.messages;
  if (!Array.isArray(messages) || !messages.length) return undefined;
  const last = messages.length - 1;
  const message = messages[last] as { role?: unknown; content?: unknown };
  if (message.role !== "user") return undefined;
  const text = textOf(message.content);
  if (!text.trim()) return undefined;
  return { text, material: { ...material, params: { ...params, messages: messages.slice(0, last) } } };
}
