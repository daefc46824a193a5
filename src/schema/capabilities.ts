// LiteLLM's `model_info.supports_*` flags (its ProviderSpecificModelInfo). /model/info shows them as
// written; the router skips deployments that say `false` for something a request needs (src/router/capabilities.ts).
import { z } from "zod";

export const CAPABILITY_FLAGS = [
  "supports_system_messages",
  "supports_response_schema",
  "supports_vision",
  "supports_function_calling",
  "supports_tool_choice",
  "supports_parallel_function_calling",
  "supports_assistant_prefill",
  "supports_prompt_caching",
  "supports_computer_use",
  "supports_audio_input",
  "supports_audio_output",
  "supports_pdf_input",
  "supports_video_input",
  "supports_embedding_image_input",
  "supports_native_streaming",
  "supports_native_structured_output",
  "supports_web_search",
  "supports_url_context",
  "supports_reasoning",
  "supports_none_reasoning_effort",
  "supports_minimal_reasoning_effort",
  "supports_low_reasoning_effort",
  "supports_xhigh_reasoning_effort",
  "supports_max_reasoning_effort",
  "supports_output_config",
  "supports_image_size",
] as const;

export type CapabilityFlag = (typeof CAPABILITY_FLAGS)[number];

/** `supports_*: true|false` fields for model_info. */
export const capabilityShape = Object.fromEntries(CAPABILITY_FLAGS.map((flag) => [flag, z.boolean().optional()])) as {
  [K in CapabilityFlag]: z.ZodOptional<z.ZodBoolean>;
};
