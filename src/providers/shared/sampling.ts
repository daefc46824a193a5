// OpenAI's sampling params under an upstream's own names (Ollama's options, Gemini's generationConfig,
// Bedrock's inferenceConfig, Anthropic's body).

/**
 * `names` maps OpenAI params to the upstream's, in the order the upstream body lists them. Only params
 * the client set are copied; `max_tokens` reads max_completion_tokens first, `stop` becomes a list.
 */
export function samplingParams(body: object, names: Readonly<Record<string, string>>): Record<string, unknown> {
  const b = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [param, name] of Object.entries(names)) {
    const value = param === "max_tokens" ? (b.max_completion_tokens ?? b.max_tokens) : b[param];
    if (value != null) out[name] = param === "stop" && typeof value === "string" ? [value] : value;
  }
  return out;
}
