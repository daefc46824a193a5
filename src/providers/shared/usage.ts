// OpenAI usage objects built from a provider's counts. Providers that count cache reads and writes
// apart from the other input tokens (Anthropic, Bedrock Converse): OpenAI's prompt_tokens includes
// them (cached ones also in prompt_tokens_details); both cache counts are kept as LiteLLM does, so
// spend can price them.
import type { Usage } from "../../schema/openai";

/** Plain counts: total is their sum. */
export function tokenUsage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export interface SplitInputCounts {
  /** Input tokens excluding cache reads and writes. */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export function usageWithCache({ input, output, cacheRead, cacheWrite }: SplitInputCounts): Usage {
  const prompt = input + cacheRead + cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  };
}
