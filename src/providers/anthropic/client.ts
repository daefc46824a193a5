// Anthropic's Messages API as a client API of the gateway (/v1/messages: Claude Code, the Anthropic
// SDKs): the request becomes an OpenAI-form chat call, and the answer goes back in Anthropic's format.
// An anthropic/ deployment serves such a call by passthrough (./adapter.ts) instead of translating.
import type { ClientApi } from "../../core/call";
import type { MessagesRequest } from "../../schema/anthropic";
import { passthroughOnly } from "./request";
import { toAnthropicMessage } from "./response";
import { anthropicClientFormat, anthropicPassthroughFormat } from "./stream";

/** Headers an Anthropic client sends that an anthropic/ deployment must see. */
const FORWARDED_HEADERS = ["anthropic-version", "anthropic-beta"] as const;

export function anthropicClient(req: MessagesRequest, headers: Headers, estimatedInputTokens: number): ClientApi {
  const forwarded: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers.get(name);
    if (value) forwarded[name] = value;
  }
  return {
    api: "anthropic",
    body: req,
    headers: forwarded,
    needsPassthrough: passthroughOnly(req),
    fromOpenAI: toAnthropicMessage,
    streamFormat: (passthrough) => (passthrough ? anthropicPassthroughFormat : anthropicClientFormat(req.model, estimatedInputTokens)),
  };
}
