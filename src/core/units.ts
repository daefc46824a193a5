// What an answered call is billed on besides tokens, read from the request and the OpenAI-shaped
// answer the way LiteLLM reads them: images by count (with the size and quality asked), transcripts
// by seconds of audio (the provider's own duration, else the file's), speech by characters, rerank by
// search units (Cohere's billed_units, else one per call). Tokens the answer reports (gpt-image,
// gpt-4o-transcribe, token-priced rerankers) come back as usage.
import type { BilledUnits, LlmRequest } from "./call";
import type { Usage } from "../schema/openai";
import type { ImageResponse, RerankResponse, TranscriptionResponse } from "../schema/endpoints";

export interface Metered {
  units?: BilledUnits;
  usage?: Usage;
}

const tokens = (input: number, output: number, cached = 0): Usage => ({
  prompt_tokens: input,
  completion_tokens: output,
  total_tokens: input + output,
  ...(cached ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
});

/** The billed units (and token usage) of an answered call, for the endpoints priced by more than tokens. */
export function meter(request: LlmRequest, answer: unknown): Metered {
  switch (request.endpoint) {
    case "image_generation": {
      const res = answer as ImageResponse;
      const b = request.body;
      const units: BilledUnits = { images: res?.data?.length ?? b.n ?? 1, size: b.size ?? undefined, quality: b.quality ?? undefined };
      const u = res?.usage;
      return { units, usage: u?.input_tokens !== undefined ? tokens(u.input_tokens, u.output_tokens ?? 0) : undefined };
    }
    case "transcription":
    case "translation": {
      const res = typeof answer === "object" && answer ? (answer as TranscriptionResponse) : undefined;
      const u = res?.usage;
      if (u?.type === "tokens") {
        const usage = tokens(u.input_tokens, u.output_tokens);
        const audio = u.input_token_details?.audio_tokens;
        return { usage: audio ? { ...usage, prompt_tokens_details: { audio_tokens: audio } } : usage };
      }
      const seconds = u?.type === "duration" ? u.seconds : (res?.duration ?? request.audioSeconds);
      return { units: { seconds: seconds ?? 0 } };
    }
    case "speech":
      return { units: { characters: request.body.input.length } };
    case "rerank": {
      const billed = (answer as RerankResponse)?.meta?.billed_units;
      const units: BilledUnits = { searchUnits: billed?.search_units ?? 1 };
      return { units, usage: billed?.total_tokens ? tokens(billed.total_tokens, 0) : undefined };
    }
    default:
      return {};
  }
}
