// What a call costs (from the provider's usage) and the most it can cost (reserved before it runs).
import type { Deployment, ModelGroup, Runtime } from "../core/provider";
import type { Usage } from "../schema/openai";
import { estimatePromptTokens, type LlmRequest } from "../core/call";
import { priceOf, type Price, type PriceBook } from "./prices";
import { unitsReservation } from "./units";

/** Output tokens reserved when neither the request, the config nor the price table bounds them (LiteLLM's DEFAULT_MAX_TOKENS). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

export function cachedTokens(usage: Usage): number {
  return Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, usage.prompt_tokens);
}

/** USD for a usage at a price; cached prompt tokens at the cache-read price. */
export function costOf(usage: Usage, price: Price): number {
  const cached = cachedTokens(usage);
  return (usage.prompt_tokens - cached) * price.input + cached * price.cacheRead + usage.completion_tokens * price.output;
}

/** The most output tokens the call may produce on this deployment (all `n` choices). */
export function maxOutputTokens(request: LlmRequest, d: Deployment, price: Price | undefined): number {
  if (request.endpoint !== "chat" && request.endpoint !== "completion") return 0;
  const asked = request.endpoint === "chat" ? (request.body.max_completion_tokens ?? request.body.max_tokens) : request.body.max_tokens;
  const cap = d.info.max_output_tokens ?? d.info.max_tokens ?? price?.maxOutputTokens;
  return (asked ?? cap ?? DEFAULT_MAX_OUTPUT_TOKENS) * (request.body.n ?? 1);
}

/** The groups a call may end up on: its own, then its configured fallbacks. */
export function candidateGroups(group: ModelGroup, runtime: Runtime): ModelGroup[] {
  const { router_settings: router, litellm_settings: settings } = runtime.config;
  const lists = [router.fallbacks ?? settings.fallbacks, router.context_window_fallbacks ?? settings.context_window_fallbacks, router.content_policy_fallbacks ?? settings.content_policy_fallbacks];
  const out = [group];
  for (const list of lists) {
    for (const entry of list ?? []) {
      for (const name of entry[group.name] ?? []) {
        const g = runtime.resolveModel(name);
        if (g && !out.includes(g)) out.push(g);
      }
    }
  }
  return out;
}

const NO_TOKEN_PRICE: Price = { input: 0, output: 0, cacheRead: 0 };

export interface Reservation {
  /** USD: the most the call can cost on any deployment it may reach. */
  cost: number;
  promptTokens: number;
  /** False when some deployment it may reach has no known price (its share is counted as 0). */
  priced: boolean;
}

/** The most a call can cost: estimated prompt + its output bound, at the priciest deployment it may reach. */
export function reservationFor(request: LlmRequest, groups: readonly ModelGroup[], book: PriceBook): Reservation {
  const promptTokens = estimatePromptTokens(request);
  let cost = 0;
  let priced = true;
  for (const group of groups) {
    for (const d of group.deployments) {
      // Image models are priced by their size and quality entries even when the model itself has none.
      const price = priceOf(d, book) ?? (request.endpoint === "image_generation" ? NO_TOKEN_PRICE : undefined);
      if (!price) {
        priced = false;
        continue;
      }
      const tokens = promptTokens * price.input + maxOutputTokens(request, d, price) * price.output;
      cost = Math.max(cost, tokens + unitsReservation(request, d, price, book));
    }
  }
  return { cost, promptTokens, priced };
}
