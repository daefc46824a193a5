// Token usage between the chat-completions shape (what spend, limits and every adapter use) and the
// Responses API's: input/output tokens with cached, cache-write and reasoning details.
import type { Usage } from "../schema/openai";
import type { ReportedUsage, ResponseUsage } from "../schema/responses";

/** LiteLLM's cache-write count on a chat usage (Anthropic, Bedrock). */
const cacheWriteOf = (u: Usage) => Number((u as { cache_creation_input_tokens?: number }).cache_creation_input_tokens ?? 0);

export function toResponseUsage(u: Usage): ResponseUsage {
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0, cache_write_tokens: cacheWriteOf(u) },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens || u.prompt_tokens + u.completion_tokens,
  };
}

/** A Responses usage (a native deployment's) as chat usage, for spend: cached and cache-write counts kept as LiteLLM does. */
export function fromResponseUsage(u: ReportedUsage): Usage {
  const input = u.input_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  const cached = u.input_tokens_details?.cached_tokens ?? 0;
  const written = u.input_tokens_details?.cache_write_tokens ?? 0;
  const usage: Usage = {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: u.total_tokens ?? input + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? 0 },
  };
  if (written) usage.cache_creation_input_tokens = written;
  return usage;
}
