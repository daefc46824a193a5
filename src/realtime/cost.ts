// What one Realtime response cost, from the `usage` of its `response.done` event. Text tokens at the
// deployment's price (config, uploaded price map, bundled table: spend/prices.ts), else OpenAI's realtime
// prices below; audio tokens at `input_cost_per_audio_token` / `output_cost_per_audio_token` (litellm_params
// or model_info), else the table's, else the text price. Cached input at the cache-read price.
import type { Deployment } from "../core/provider";
import { priceOf, type PriceBook } from "../spend/prices";

interface RealtimePrice {
  textIn: number;
  textCached: number;
  textOut: number;
  audioIn: number;
  audioCached: number;
  audioOut: number;
}

const perM = (textIn: number, textCached: number, textOut: number, audioIn: number, audioCached: number, audioOut: number): RealtimePrice => ({
  textIn: textIn / 1e6,
  textCached: textCached / 1e6,
  textOut: textOut / 1e6,
  audioIn: audioIn / 1e6,
  audioCached: audioCached / 1e6,
  audioOut: audioOut / 1e6,
});

/** OpenAI's realtime models, USD per 1M tokens (developers.openai.com model pages). Dated snapshots match by prefix. */
const REALTIME_PRICES: [string, RealtimePrice][] = [
  ["gpt-4o-mini-realtime-preview", perM(0.6, 0.3, 2.4, 10, 0.3, 20)],
  ["gpt-4o-realtime-preview", perM(5, 2.5, 20, 40, 2.5, 80)],
  ["gpt-realtime-2.1-mini", perM(0.6, 0.06, 2.4, 10, 0.3, 20)],
  ["gpt-realtime-mini", perM(0.6, 0.06, 2.4, 10, 0.3, 20)],
  ["gpt-realtime", perM(4, 0.4, 16, 32, 0.4, 64)],
];

/** The usage object of a `response.done` event (OpenAI's realtime API). */
export interface RealtimeUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_token_details?: { text_tokens?: number; audio_tokens?: number; cached_tokens?: number; cached_tokens_details?: { text_tokens?: number; audio_tokens?: number } };
  output_token_details?: { text_tokens?: number; audio_tokens?: number };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0);

function priceFor(d: Deployment, book: PriceBook): RealtimePrice | undefined {
  const listed = REALTIME_PRICES.find(([prefix]) => d.model.startsWith(prefix))?.[1];
  const text = priceOf(d, book);
  const extra = { ...d.info, ...d.params } as { input_cost_per_audio_token?: number; output_cost_per_audio_token?: number };
  if (!text && !listed) return undefined;
  const textIn = text?.input ?? listed!.textIn;
  const textOut = text?.output ?? listed!.textOut;
  const textCached = text?.cacheRead ?? listed!.textCached;
  return {
    textIn,
    textCached,
    textOut,
    audioIn: extra.input_cost_per_audio_token ?? listed?.audioIn ?? textIn,
    audioCached: listed?.audioCached ?? textCached,
    audioOut: extra.output_cost_per_audio_token ?? listed?.audioOut ?? textOut,
  };
}

export interface ResponseCost {
  cost: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** No price known for the model: charged 0. */
  unpriced: boolean;
}

export function responseCost(d: Deployment, usage: RealtimeUsage | undefined, book: PriceBook): ResponseCost {
  const input = num(usage?.input_tokens);
  const output = num(usage?.output_tokens);
  const inDetails = usage?.input_token_details;
  const outDetails = usage?.output_token_details;
  const cached = num(inDetails?.cached_tokens);
  const price = priceFor(d, book);
  if (!price) return { cost: 0, promptTokens: input, completionTokens: output, cachedTokens: cached, unpriced: true };
  // Without a breakdown, every token counts as text.
  const audioIn = num(inDetails?.audio_tokens);
  const textIn = inDetails ? num(inDetails.text_tokens) : input;
  const cachedAudio = Math.min(num(inDetails?.cached_tokens_details?.audio_tokens), audioIn);
  const cachedText = Math.min(inDetails?.cached_tokens_details ? num(inDetails.cached_tokens_details.text_tokens) : cached, textIn);
  const audioOut = num(outDetails?.audio_tokens);
  const textOut = outDetails ? num(outDetails.text_tokens) : output;
  const cost =
    (textIn - cachedText) * price.textIn +
    cachedText * price.textCached +
    (audioIn - cachedAudio) * price.audioIn +
    cachedAudio * price.audioCached +
    textOut * price.textOut +
    audioOut * price.audioOut;
  return { cost, promptTokens: input, completionTokens: output, cachedTokens: cached, unpriced: false };
}
