// Workers AI's image, speech-to-text and reranker models behind OpenAI's (and Cohere's) endpoints:
//   images   @cf/black-forest-labs/flux-1-schnell and the other models answering {image: base64}
//   audio    @cf/openai/whisper, whisper-tiny-en ({audio: bytes}) and whisper-large-v3-turbo ({audio: base64})
//   rerank   @cf/baai/bge-reranker-base ({query, contexts} -> {response: [{id, score}]})
// Results come in the REST envelope (the binding's are wrapped the same way, ./binding.ts).
import { GatewayError, badRequest } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { EndpointHandler } from "../../core/provider";
import type { ImageRequest, ImageResponse, RerankRequest, RerankResponse, TranscriptionRequest, TranscriptionResponse } from "../../schema/endpoints";
import { documentOf, documentText } from "../shared/rerank";
import { request } from "./request";

const resultOf = <T>(json: unknown): T => ((json as { result?: T }).result ?? (json as T)) as T;

export const IMAGE_PARAMS = new Set(["model", "prompt", "n", "size", "response_format", "user", "steps", "seed", "negative_prompt"]);

export const workersAiImages: EndpointHandler<ImageRequest, ImageResponse> = {
  supportedParams: IMAGE_PARAMS,
  buildRequest(body, ctx) {
    if ((body.n ?? 1) > 1) throw badRequest("workers_ai image models make one image per request (n: 1)", "n");
    if (body.response_format === "url") throw badRequest("workers_ai image models answer b64_json only (response_format: url is not available)", "response_format");
    const m = /^(\d+)x(\d+)$/.exec(body.size ?? "");
    const inputs: Record<string, unknown> = { prompt: body.prompt };
    if (m) Object.assign(inputs, { width: Number(m[1]), height: Number(m[2]) });
    for (const key of ["steps", "seed", "negative_prompt"]) if (body[key] != null) inputs[key] = body[key];
    return request(ctx, inputs);
  },
  parseResponse(json) {
    const image = resultOf<{ image?: string }>(json).image;
    if (!image) throw new GatewayError(502, "server", "workers_ai answered without an image (models answering raw PNG bytes are not supported)", { upstream: true });
    return { created: nowSeconds(), data: [{ b64_json: image }] };
  },
};

interface WhisperResult {
  text?: string;
  words?: { word: string; start: number; end: number }[];
  segments?: { start: number; end: number; text: string }[];
  transcription_info?: { language?: string; duration?: number };
}

const base64 = (bytes: Uint8Array) => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

export const TRANSCRIPTION_PARAMS = new Set(["model", "file", "language", "prompt", "response_format", "user"]);

const whisper = (task: "transcribe" | "translate"): EndpointHandler<TranscriptionRequest, TranscriptionResponse> => ({
  supportedParams: TRANSCRIPTION_PARAMS,
  async buildRequest(body, ctx) {
    const format = body.response_format ?? "json";
    if (format !== "json" && format !== "verbose_json") throw badRequest("workers_ai whisper models answer json or verbose_json", "response_format");
    const bytes = new Uint8Array(await body.file.arrayBuffer());
    // whisper-large-v3-turbo takes base64 and a task; the older models take the bytes as numbers and only transcribe.
    if (ctx.deployment.model.includes("large-v3-turbo")) {
      return request(ctx, { audio: base64(bytes), task, ...(body.language ? { language: body.language } : {}), ...(body.prompt ? { initial_prompt: body.prompt } : {}) });
    }
    if (task === "translate") throw badRequest(`${ctx.deployment.model} cannot translate: use @cf/openai/whisper-large-v3-turbo`, "model");
    return request(ctx, { audio: [...bytes] });
  },
  parseResponse(json, _ctx, body) {
    const r = resultOf<WhisperResult>(json);
    const text = (r.text ?? "").trim();
    const seconds = r.transcription_info?.duration ?? r.segments?.at(-1)?.end ?? r.words?.at(-1)?.end;
    const usage = seconds !== undefined ? { usage: { type: "duration" as const, seconds } } : {};
    if (body.response_format !== "verbose_json") return { text, ...usage };
    return { task, language: r.transcription_info?.language ?? body.language ?? "english", duration: seconds, text, segments: r.segments, words: r.words, ...usage };
  },
});

export const workersAiTranscription = whisper("transcribe");
export const workersAiTranslation = whisper("translate");

export const workersAiRerank: EndpointHandler<RerankRequest, RerankResponse> = {
  supportedParams: new Set(["model", "query", "documents", "top_n", "return_documents", "user"]),
  buildRequest(body, ctx) {
    const contexts = body.documents.map((d) => ({ text: documentText(d) }));
    return request(ctx, { query: body.query, contexts, ...(body.top_n ? { top_k: body.top_n } : {}) });
  },
  parseResponse(json, ctx, body) {
    const scores = resultOf<{ response?: { id: number; score: number }[] }>(json).response ?? [];
    const ranked = [...scores].sort((a, b) => b.score - a.score).slice(0, body.top_n ?? scores.length);
    return {
      id: `rerank-${ctx.callId}`,
      results: ranked.map((s) => ({ index: s.id, relevance_score: s.score, ...(body.return_documents ? { document: documentOf(body.documents[s.id]) } : {}) })),
      meta: { billed_units: { search_units: 1 } },
    };
  },
};
