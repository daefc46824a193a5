// The output items the bridge answers with, their ids, and the opaque reasoning state they carry.
//
// Ids: a response is `resp_<24 hex>`; each of its items is `<kind>_<same 24 hex>_<n>` (output items)
// or `..._i<n>` (the request's own input items). An `item_reference` therefore names the stored
// response that holds the item, and resolving it costs one read, with no item index to keep.
import { randomId } from "../lib/ids";
import type { ThinkingBlock } from "../schema/openai";
import type { OutputFunctionCall, OutputMessage, OutputReasoning } from "../schema/responses";

export const newResponseId = () => randomId("resp_");

const suffixOf = (responseId: string) => responseId.replace(/^resp_/, "");

/** Id of output item `n` of a response (msg_, fc_, rs_ ...). */
export const outputItemId = (prefix: string, responseId: string, n: number) => `${prefix}_${suffixOf(responseId)}_${n}`;

/** Id of input item `n` of a request, for items the client sent without one. */
export const inputItemId = (prefix: string, responseId: string, n: number) => `${prefix}_${suffixOf(responseId)}_i${n}`;

const ITEM_ID = /^[a-z]+_([0-9a-f]{24})_i?\d+$/;

/** The response an item id belongs to, for ids this gateway made. */
export function responseIdOfItem(itemId: string): string | undefined {
  const m = ITEM_ID.exec(itemId);
  return m ? `resp_${m[1]}` : undefined;
}

/** A chat tool call id for a call the upstream sent without one. */
export const newCallId = () => randomId("call_");

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export function messageItem(id: string, text: string, status: ItemStatus, refusal?: string): OutputMessage {
  const content: OutputMessage["content"] = [];
  if (text || !refusal) content.push({ type: "output_text", annotations: [], logprobs: [], text });
  if (refusal) content.push({ type: "refusal", refusal });
  return { id, type: "message", status, content, role: "assistant" };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: ItemStatus): OutputFunctionCall {
  return { id, type: "function_call", status, arguments: args, call_id: callId, name };
}

export function reasoningItem(id: string, text: string, thinking: ThinkingBlock[]): OutputReasoning {
  const item: OutputReasoning = { id, type: "reasoning", summary: text ? [{ type: "summary_text", text }] : [] };
  const encrypted = encodeThinking(thinking);
  if (encrypted) item.encrypted_content = encrypted;
  return item;
}

// Anthropic's thinking blocks must come back with their signatures on the next turn (or Anthropic
// refuses a tool-use turn with thinking on). They ride in the reasoning item's `encrypted_content`,
// which clients treat as opaque and send back (Codex, the Agents SDK, the AI SDK with store: false).
const THINKING_PREFIX = "gwthink1.";

function encodeThinking(blocks: ThinkingBlock[]): string | undefined {
  const kept = blocks.filter((b) => (b.type === "thinking" && b.signature) || (b.type === "redacted_thinking" && b.data));
  if (!kept.length) return undefined;
  const bytes = new TextEncoder().encode(JSON.stringify(kept));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return THINKING_PREFIX + btoa(binary);
}

/** The thinking blocks of a reasoning item's encrypted_content, if this gateway wrote it (OpenAI's own is left alone). */
export function decodeThinking(encrypted: string | null | undefined): ThinkingBlock[] {
  if (!encrypted?.startsWith(THINKING_PREFIX)) return [];
  try {
    const binary = atob(encrypted.slice(THINKING_PREFIX.length));
    const blocks = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as unknown;
    return Array.isArray(blocks) ? (blocks as ThinkingBlock[]).filter((b) => b?.type === "thinking" || b?.type === "redacted_thinking") : [];
  } catch {
    return [];
  }
}
