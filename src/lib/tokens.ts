// Rough token counts for when a provider reports none (mock deployments, budget reservations).
// ~4 characters per token is OpenAI's own rule of thumb for English text.
export function estimateTokens(text: string): number {
  return tokensOfLength(text.length);
}

/** Estimated tokens of a text of `chars` characters. */
export function tokensOfLength(chars: number): number {
  return Math.ceil(chars / 4);
}

/** The parts of a chat message that count (structurally, so this file needs no schema). */
interface MessageLike {
  content?: string | readonly { text?: string }[] | null;
  tool_calls?: unknown;
}

/** Estimated prompt tokens of a chat request: message text plus a small per-message overhead. */
export function estimateChatPromptTokens(body: { messages: readonly MessageLike[] }): number {
  let total = 0;
  for (const m of body.messages) {
    total += 4;
    if (typeof m.content === "string") total += estimateTokens(m.content);
    else if (Array.isArray(m.content)) for (const p of m.content) total += p.text ? estimateTokens(p.text) : 85;
    if (m.tool_calls) total += estimateTokens(JSON.stringify(m.tool_calls));
  }
  return total;
}
