// Chat usage (what spend, limits and every adapter use) in the Responses API's shape: input/output
// tokens with cached, cache-write and reasoning details. The other direction, for native
// deployments' answers, is src/providers/shared/responses.ts `fromResponseUsage`.
import type { Usage } from "../schema/openai";
import type { ResponseUsage } from "../schema/responses";

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
