// The OpenAI-compatible family: OpenAI and every provider that speaks its wire format, with
// LiteLLM's default base URLs and key variables. Each gets the adapter of ./adapter.ts.

export interface OpenAICompatibleSpec {
  name: string;
  /** Used when neither api_base nor the base env var is set; absent means api_base is required. */
  defaultBase?: string;
  /** Env var for the key when litellm_params.api_key is absent. */
  keyEnv: string;
  /** Env var for the base URL when litellm_params.api_base is absent. */
  baseEnv?: string;
  /** Whether a key is required (local servers do not need one). */
  keyOptional?: boolean;
}

export const OPENAI_COMPATIBLE: readonly OpenAICompatibleSpec[] = [
  { name: "openai", defaultBase: "https://api.openai.com/v1", keyEnv: "OPENAI_API_KEY", baseEnv: "OPENAI_API_BASE" },
  { name: "text-completion-openai", defaultBase: "https://api.openai.com/v1", keyEnv: "OPENAI_API_KEY", baseEnv: "OPENAI_API_BASE" },
  { name: "groq", defaultBase: "https://api.groq.com/openai/v1", keyEnv: "GROQ_API_KEY" },
  { name: "openrouter", defaultBase: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_API_KEY", baseEnv: "OPENROUTER_API_BASE" },
  { name: "together_ai", defaultBase: "https://api.together.xyz/v1", keyEnv: "TOGETHERAI_API_KEY" },
  { name: "deepseek", defaultBase: "https://api.deepseek.com/v1", keyEnv: "DEEPSEEK_API_KEY", baseEnv: "DEEPSEEK_API_BASE" },
  { name: "mistral", defaultBase: "https://api.mistral.ai/v1", keyEnv: "MISTRAL_API_KEY", baseEnv: "MISTRAL_API_BASE" },
  { name: "xai", defaultBase: "https://api.x.ai/v1", keyEnv: "XAI_API_KEY", baseEnv: "XAI_API_BASE" },
  { name: "fireworks_ai", defaultBase: "https://api.fireworks.ai/inference/v1", keyEnv: "FIREWORKS_AI_API_KEY", baseEnv: "FIREWORKS_AI_API_BASE" },
  { name: "perplexity", defaultBase: "https://api.perplexity.ai", keyEnv: "PERPLEXITYAI_API_KEY" },
  { name: "hosted_vllm", keyEnv: "HOSTED_VLLM_API_KEY", baseEnv: "HOSTED_VLLM_API_BASE", keyOptional: true },
  { name: "lm_studio", defaultBase: "http://localhost:1234/v1", keyEnv: "LM_STUDIO_API_KEY", baseEnv: "LM_STUDIO_API_BASE", keyOptional: true },
];
