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

/** Where a call's output bound comes from: the request's max_tokens, the model's max output, or the default. */
export type OutputBound = "max_tokens" | "model" | "default";

/** The most output tokens the call may produce on this deployment (all `n` choices), and where that bound comes from. */
function outputBound(request: LlmRequest, d: Deployment, price: Price | undefined): { tokens: number; from: OutputBound } {
  if (request.endpoint !== "chat" && request.endpoint !== "completion") return { tokens: 0, from: "model" };
  const asked = request.endpoint === "chat" ? (request.body.max_completion_tokens ?? request.body.max_tokens) : request.body.max_tokens;
  const cap = d.info.max_output_tokens ?? d.info.max_tokens ?? price?.maxOutputTokens;
  const n = request.body.n ?? 1;
  if (asked !== undefined && asked !== null) return { tokens: asked * n, from: "max_tokens" };
  return cap !== undefined ? { tokens: cap * n, from: "model" } : { tokens: DEFAULT_MAX_OUTPUT_TOKENS * n, from: "default" };
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

/** The price of a model priced only per unit (an image model with size and quality entries). */
export const NO_TOKEN_PRICE: Price = { input: 0, output: 0, cacheRead: 0 };

export interface Reservation {
  /** USD: the most the call can cost on any deployment it may reach. */
  cost: number;
  promptTokens: number;
  /** Tokens: the most the call can use (prompt + the largest output bound), for token budgets. */
  tokens: number;
  /** The output bound behind `cost` (the priciest deployment's), and where it comes from (refusals explain it). */
  outputTokens: number;
  outputFrom: OutputBound;
  /** False when some deployment it may reach has no known price (its share is counted as 0). */
  priced: boolean;
}

/** A call that holds nothing (refused before admission, or answered without an upstream). */
export const NOTHING_RESERVED: Readonly<Reservation> = { cost: 0, promptTokens: 0, tokens: 0, outputTokens: 0, outputFrom: "default", priced: true };

/** The most a call can cost: estimated prompt + its output bound, at the priciest deployment it may reach. */
export function reservationFor(request: LlmRequest, groups: readonly ModelGroup[], book: PriceBook): Reservation {
  const promptTokens = estimatePromptTokens(request);
  let cost = 0;
  let priced = true;
  let output = 0;
  let costliest: { tokens: number; from: OutputBound } = { tokens: 0, from: "default" };
  for (const group of groups) {
    for (const d of group.deployments) {
      // Image models are priced by their size and quality entries even when the model itself has none.
      const price = priceOf(d, book) ?? (request.endpoint === "image_generation" ? NO_TOKEN_PRICE : undefined);
      const bound = outputBound(request, d, price);
      output = Math.max(output, bound.tokens);
      if (!price) {
        priced = false;
        continue;
      }
      const worst = promptTokens * price.input + bound.tokens * price.output + unitsReservation(request, d, price, book);
      if (worst >= cost) [cost, costliest] = [worst, bound];
    }
  }
  return { cost, promptTokens, tokens: promptTokens + output, outputTokens: costliest.tokens, outputFrom: costliest.from, priced };
}
