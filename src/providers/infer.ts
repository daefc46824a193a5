// `model: gpt-4o` with no `<provider>/` prefix: LiteLLM infers the provider from the model name (its
// get_llm_provider looks the name up in per-provider model lists). The same inference by name
// pattern, for the families those lists hold. Unknown names still need a prefix.

const FAMILIES: readonly [RegExp, string][] = [
  [/^(gpt-|chatgpt-|o1($|-)|o3($|-)|o4-|text-embedding-|dall-e|whisper|tts-|gpt-image|omni-moderation|text-moderation|computer-use-|codex-)/, "openai"],
  [/^(davinci|babbage)-0/, "text-completion-openai"],
  [/^claude-/, "anthropic"],
  [/^(gemini-|gemma-|learnlm-|text-embedding-004|gemini-embedding)/, "gemini"],
  [/^(command($|-)|c4ai-|embed-(english|multilingual)-)/, "cohere"],
  [/^(mistral-|open-mistral|open-mixtral|codestral|pixtral|ministral|magistral|devstral)/, "mistral"],
  [/^deepseek-/, "deepseek"],
  [/^grok-/, "xai"],
  [/^(sonar|r1-1776)/, "perplexity"],
];

/** The provider LiteLLM would infer for a model name without a prefix, if any. */
export function inferProvider(model: string): string | undefined {
  for (const [pattern, provider] of FAMILIES) if (pattern.test(model)) return provider;
  return undefined;
}

/** `<provider>/<id>` split at the first slash (ids keep theirs: `openrouter/google/gemma-3-27b-it:free`), or inferred for a bare name. */
export function splitModel(model: string): { provider: string; id: string; inferred?: boolean } | undefined {
  const slash = model.indexOf("/");
  if (slash > 0) return { provider: model.slice(0, slash), id: model.slice(slash + 1) };
  const provider = inferProvider(model);
  return provider ? { provider, id: model, inferred: true } : undefined;
}
