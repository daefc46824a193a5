// The mock deployment's local upstream: answers with the fixed `mock_response` text in OpenAI's exact
// wire format (JSON or SSE), with estimated usage, as a real OpenAI-compatible server would.
import { estimatePromptTokens, type LlmRequest } from "../../core/call";
import { estimateTokens } from "../../lib/tokens";
import { nowSeconds } from "../../lib/ids";
import type { EmbeddingRequest } from "../../schema/openai";
import type { AdapterContext } from "../../core/provider";
import { tokenUsage } from "../shared/usage";
import type { MockPayload } from "./request";

const sse = (chunks: object[]) => chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";

/** Splits the text into word-sized pieces so streams have several chunks. */
function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [""];
}

export function respond(payload: MockPayload, ctx: AdapterContext): Response {
  const text = ctx.deployment.params.mock_response ?? "";
  const model = ctx.deployment.model;
  const created = nowSeconds();
  const stream = payload.body.stream === true;
  const json = (body: object) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  const events = (body: string) => new Response(body, { headers: { "content-type": "text/event-stream" } });

  if (payload.endpoint === "embedding") {
    const input = (payload.body as EmbeddingRequest).input;
    const items = typeof input === "string" ? [input] : (input as unknown[]);
    const tokens = items.reduce<number>((n, x) => n + (typeof x === "string" ? estimateTokens(x) : 1), 0);
    const data = items.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2, 0.3, 0.4] }));
    return json({ object: "list", model, data, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  const completionTokens = estimateTokens(text);
  const promptTokens = estimatePromptTokens(payload as LlmRequest);
  const usage = tokenUsage(promptTokens, completionTokens);

  if (payload.endpoint === "completion") {
    const id = `cmpl-${ctx.callId}`;
    if (!stream) return json({ id, object: "text_completion", created, model, choices: [{ index: 0, text, finish_reason: "stop", logprobs: null }], usage });
    const chunk = (t: string, finish: string | null) => ({ id, object: "text_completion", created, model, choices: [{ index: 0, text: t, finish_reason: finish, logprobs: null }] });
    return events(sse([...pieces(text).map((p) => chunk(p, null)), chunk("", "stop"), { id, object: "text_completion", created, model, choices: [], usage }]));
  }

  const id = `chatcmpl-${ctx.callId}`;
  if (!stream) {
    return json({ id, object: "chat.completion", created, model, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }], usage });
  }
  const chunk = (delta: object, finish: string | null) => ({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
  return events(
    sse([
      chunk({ role: "assistant", content: "" }, null),
      ...pieces(text).map((p) => chunk({ content: p }, null)),
      chunk({}, "stop"),
      { id, object: "chat.completion.chunk", created, model, choices: [], usage },
    ]),
  );
}
