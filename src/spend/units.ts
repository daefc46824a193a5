// Cost of what a call is billed on besides tokens, as LiteLLM prices it: images per image (the
// `<quality>/<W-x-H>/<model>` entries: per image, or per pixel), audio per second (output_cost_per_second,
// else input_cost_per_second, as LiteLLM's cost_per_second), speech per character, rerank per search
// unit (input_cost_per_query); gpt-image tokens at output_cost_per_image_token; batches at the
// *_cost_per_token_batches prices, else half the model's (LiteLLM's batch_cost_calculator). And the
// most each kind can cost, reserved before the call runs.
import type { BilledUnits, LlmRequest } from "../core/call";
import type { Deployment } from "../core/provider";
import type { Usage } from "../schema/openai";
import { audioSecondsBound } from "../lib/audio";
import { priceForName, type Price, type PriceBook } from "./prices";

const DEFAULT_SIZE = "1024x1024";
/** The most output tokens one gpt-image picture costs (high quality, 1536x1024: OpenAI's table). */
const MAX_IMAGE_TOKENS = 6240;
/** Cohere bills a search unit per query of up to 100 documents. */
const DOCUMENTS_PER_SEARCH_UNIT = 100;

function cachedOf(usage: Usage): number {
  return Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, usage.prompt_tokens);
}

/** Token usage at batch prices: the model's *_batches prices, else half its own. */
export function batchTokensCost(usage: Usage, price: Price): number {
  const u = price.units;
  const cached = cachedOf(usage);
  const input = u?.input_cost_per_token_batches !== undefined ? usage.prompt_tokens * u.input_cost_per_token_batches : ((usage.prompt_tokens - cached) * price.input + cached * price.cacheRead) / 2;
  const output = usage.completion_tokens * (u?.output_cost_per_token_batches ?? price.output / 2);
  return input + output;
}

/** The price of one image of this deployment at a size and quality; undefined when none is known. */
export function imagePrice(d: Deployment, size: string | undefined, quality: string | undefined, price: Price | undefined, book: PriceBook, configured: boolean): number | undefined {
  const dims = /^(\d+)x(\d+)$/.exec(size ?? DEFAULT_SIZE) ?? /^(\d+)x(\d+)$/.exec(DEFAULT_SIZE)!;
  const key = `${dims[1]}-x-${dims[2]}`;
  const perImage = (p: Price | undefined) => {
    const u = p?.units;
    if (!u) return undefined;
    const flat = u.input_cost_per_image ?? u.output_cost_per_image;
    return flat ?? (u.input_cost_per_pixel !== undefined ? u.input_cost_per_pixel * Number(dims[1]) * Number(dims[2]) : undefined);
  };
  // Prices in the config are the deployment's own, whatever the size.
  if (configured) return perImage(price);
  const q = quality && quality !== "auto" ? quality : "standard";
  for (const name of [d.info.base_model, `${d.provider}/${d.model}`, d.model]) {
    if (!name) continue;
    for (const variant of [`${q}/${key}/${name}`, `${key}/${name}`, `high/${key}/${name}`]) {
      const found = perImage(priceForName(variant, book));
      if (found !== undefined) return found;
    }
  }
  return perImage(price);
}

/** USD for the call's billed units (its tokens are priced by the caller). */
export function unitsCost(units: BilledUnits, d: Deployment, price: Price | undefined, book: PriceBook, configured: boolean): number {
  const u = price?.units;
  let cost = 0;
  if (units.images) cost += units.images * (imagePrice(d, units.size, units.quality, price, book, configured) ?? 0);
  if (units.seconds) cost += units.seconds * (u?.output_cost_per_second ?? u?.input_cost_per_second ?? 0);
  if (units.characters) cost += units.characters * (u?.input_cost_per_character ?? 0);
  if (units.searchUnits) cost += units.searchUnits * (u?.input_cost_per_query ?? 0);
  return cost;
}

/** The most a call's units can cost on this deployment (tokens are reserved by the caller). */
export function unitsReservation(request: LlmRequest, d: Deployment, price: Price, book: PriceBook): number {
  const u = price.units;
  switch (request.endpoint) {
    case "image_generation": {
      const n = request.body.n ?? 1;
      if (u?.output_cost_per_image_token !== undefined) return n * MAX_IMAGE_TOKENS * u.output_cost_per_image_token;
      return n * (imagePrice(d, request.body.size ?? undefined, request.body.quality ?? undefined, price, book, false) ?? 0);
    }
    case "transcription":
    case "translation": {
      const seconds = audioSecondsBound(request.audioSeconds, request.body.file.size);
      // Token-priced models (gpt-4o-transcribe): ~10 audio tokens a second in, ~4 text tokens a second out.
      return seconds * (u?.output_cost_per_second ?? u?.input_cost_per_second ?? 0) + seconds * (10 * price.input + 4 * price.output);
    }
    case "speech":
      // Token-priced voices (gpt-4o-mini-tts) bill audio out: ~1 token per character is a generous bound.
      return request.body.input.length * ((u?.input_cost_per_character ?? 0) + price.output);
    case "rerank":
      return Math.ceil(request.body.documents.length / DOCUMENTS_PER_SEARCH_UNIT) * (u?.input_cost_per_query ?? 0);
    default:
      return 0;
  }
}

