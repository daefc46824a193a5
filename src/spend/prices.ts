// Per-token prices of a deployment, from (first match wins):
//   1. the config: litellm_params / model_info input_cost_per_token, output_cost_per_token, cache_read_input_token_cost;
//   2. local providers (Ollama, LM Studio, self-hosted vLLM, mock_response): free;
//   3. a price map uploaded with POST /model/cost_map (LiteLLM's model_prices_and_context_window.json format, kept in KV);
//   4. the bundled table (./prices.json, with the date it was checked).
// Unknown models cost 0 and are counted (daily_spend.unpriced_requests), never refused.
import { inBackground } from "../lib/background";
import { z } from "zod";
import type { Deployment } from "../core/provider";
import type { Env } from "../env";
import bundledFile from "./prices.json";
import { logText } from "../lib/safe-text";

export interface Price {
  /** USD per prompt token not read from the provider's cache. */
  input: number;
  output: number;
  /** USD per cached prompt token. */
  cacheRead: number;
  maxOutputTokens?: number;
  maxInputTokens?: number;
  /** Per-unit prices (images, audio, speech, rerank; LiteLLM's *_cost_per_*), when the model has them. */
  units?: UnitPrices;
}

/** LiteLLM's per-unit prices, as the price map and the config spell them. */
export interface UnitPrices {
  input_cost_per_image?: number;
  output_cost_per_image?: number;
  input_cost_per_pixel?: number;
  input_cost_per_second?: number;
  output_cost_per_second?: number;
  input_cost_per_character?: number;
  input_cost_per_query?: number;
  /** gpt-image: output (image) tokens. */
  output_cost_per_image_token?: number;
  /** Audio input tokens (gpt-4o-transcribe), where they cost more than text. */
  input_cost_per_audio_token?: number;
  input_cost_per_token_batches?: number;
  output_cost_per_token_batches?: number;
}

const UNIT_PRICE_KEYS = [
  "input_cost_per_image",
  "output_cost_per_image",
  "input_cost_per_pixel",
  "input_cost_per_second",
  "output_cost_per_second",
  "input_cost_per_character",
  "input_cost_per_query",
  "output_cost_per_image_token",
  "input_cost_per_audio_token",
  "input_cost_per_token_batches",
  "output_cost_per_token_batches",
] as const satisfies readonly (keyof UnitPrices)[];

/** The per-unit prices an object (a price map entry, litellm_params, model_info) sets; undefined when none. */
export function unitPricesOf(source: Record<string, unknown>): UnitPrices | undefined {
  let out: UnitPrices | undefined;
  for (const key of UNIT_PRICE_KEYS) {
    const value = source[key];
    if (typeof value === "number" && value >= 0) (out ??= {})[key] = value;
  }
  return out;
}

const cost = z.number().min(0);

/** One entry of LiteLLM's price map: token prices, per-unit prices, or both. Entries with neither ("sample_spec") are skipped. */
export const priceEntrySchema = z.looseObject({
  input_cost_per_token: cost.optional(),
  output_cost_per_token: z.number().min(0).optional(),
  cache_read_input_token_cost: z.number().min(0).optional(),
  max_output_tokens: z.number().int().positive().optional(),
  max_tokens: z.number().int().positive().optional(),
  max_input_tokens: z.number().int().positive().optional(),
  litellm_provider: z.string().optional(),
  mode: z.string().optional(),
  ...Object.fromEntries(UNIT_PRICE_KEYS.map((k) => [k, cost.optional()])),
}).refine((e) => e.input_cost_per_token !== undefined || unitPricesOf(e) !== undefined, "no token or unit price");
export type PriceEntry = z.infer<typeof priceEntrySchema>;

export function priceFromEntry(e: PriceEntry): Price {
  const input = e.input_cost_per_token ?? 0;
  const price: Price = {
    input,
    output: e.output_cost_per_token ?? 0,
    cacheRead: e.cache_read_input_token_cost ?? input,
    maxOutputTokens: e.max_output_tokens ?? e.max_tokens,
    maxInputTokens: e.max_input_tokens,
  };
  const units = unitPricesOf(e);
  if (units) price.units = units;
  return price;
}

/** Parses a whole LiteLLM price map; returns the usable prices and how many entries had none. */
export function parsePriceMap(raw: Record<string, unknown>): { prices: Map<string, Price>; skipped: number } {
  const prices = new Map<string, Price>();
  let skipped = 0;
  for (const [name, value] of Object.entries(raw)) {
    const entry = priceEntrySchema.safeParse(value);
    if (entry.success) prices.set(name, priceFromEntry(entry.data));
    else skipped++;
  }
  return { prices, skipped };
}

export const BUNDLED_PRICES_CHECKED = bundledFile.checked;
const bundled = parsePriceMap(bundledFile.models).prices;

const FREE = { input: 0, output: 0, cacheRead: 0 } satisfies Price;
/** Providers that run on the user's own hardware: no per-token bill. */
const LOCAL_PROVIDERS = new Set(["ollama", "ollama_chat", "lm_studio", "hosted_vllm", "mock"]);

// ---- the uploaded map, in KV; each isolate keeps it for a minute ----

export const PRICE_MAP_KV_KEY = "gateway:price-map";
const REFRESH_MS = 60_000;

/** Stored form: only the fields cost needs, so isolates parse little. */
export interface StoredPriceMap {
  uploadedAt: number;
  prices: Record<string, Price>;
}

export interface PriceBook {
  /** Changes whenever the uploaded map does (per-deployment caches key on it). */
  readonly version: number;
  readonly uploaded: ReadonlyMap<string, Price>;
}

const EMPTY_BOOK: PriceBook = { version: 0, uploaded: new Map() };
const books = new WeakMap<object, { book: PriceBook; loadedAt: number }>();

function bookOf(stored: StoredPriceMap | null): PriceBook {
  return stored ? { version: stored.uploadedAt, uploaded: new Map(Object.entries(stored.prices)) } : EMPTY_BOOK;
}

/**
 * The price book for this isolate: reads KV at most once a minute. Only the first read waits; later
 * ones refresh in the background (the request path keeps the book it has meanwhile).
 */
/** The price book; the cached one as is (no promise on the hot path), loaded on an isolate's first call. */
export function priceBook(env: Env): PriceBook | Promise<PriceBook> {
  const cached = books.get(env.KV);
  if (!cached) return loadBook(env, EMPTY_BOOK);
  if (Date.now() - cached.loadedAt >= REFRESH_MS) {
    cached.loadedAt = Date.now(); // one refresh at a time
    inBackground(loadBook(env, cached.book));
  }
  return cached.book;
}

async function loadBook(env: Env, previous: PriceBook): Promise<PriceBook> {
  let book = previous;
  try {
    book = bookOf(await env.KV.get<StoredPriceMap>(PRICE_MAP_KV_KEY, "json"));
  } catch (err) {
    console.warn(`[spend] could not read the uploaded price map, using the previous one: ${logText(String((err as Error)?.message))}`);
  }
  books.set(env.KV, { book, loadedAt: Date.now() });
  return book;
}

/** Stores an uploaded map and makes this isolate use it at once (others within a minute). */
export async function storePriceMap(env: Env, prices: Map<string, Price>): Promise<StoredPriceMap> {
  const stored: StoredPriceMap = { uploadedAt: Date.now(), prices: Object.fromEntries(prices) };
  await env.KV.put(PRICE_MAP_KV_KEY, JSON.stringify(stored));
  books.set(env.KV, { book: bookOf(stored), loadedAt: Date.now() });
  return stored;
}

/** Back to the bundled table (and config prices). */
export async function clearPriceMap(env: Env): Promise<void> {
  await env.KV.delete(PRICE_MAP_KV_KEY);
  books.set(env.KV, { book: { version: Date.now(), uploaded: new Map() }, loadedAt: Date.now() });
}

// ---- lookup ----

const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

function lookup(name: string, book: PriceBook): Price | undefined {
  return book.uploaded.get(name) ?? bundled.get(name);
}

/** A model name's price: the name as given, then without a date suffix (gpt-4o-2024-08-06 -> gpt-4o). */
export function priceForName(name: string, book: PriceBook): Price | undefined {
  return lookup(name, book) ?? (DATE_SUFFIX.test(name) ? lookup(name.replace(DATE_SUFFIX, ""), book) : undefined);
}

function configPrice(d: Deployment): Price | undefined {
  const p = d.params;
  const i = d.info;
  const input = p.input_cost_per_token ?? i.input_cost_per_token;
  const output = p.output_cost_per_token ?? i.output_cost_per_token;
  const units = unitPricesOf({ ...i, ...p });
  if (input === undefined && output === undefined && !units) return undefined;
  const cacheRead = p.cache_read_input_token_cost ?? (i as { cache_read_input_token_cost?: number }).cache_read_input_token_cost;
  return { input: input ?? 0, output: output ?? 0, cacheRead: cacheRead ?? input ?? 0, ...(units ? { units } : {}) };
}

/** Whether the deployment's prices come from the config (they then hold whatever the size or quality). */
export const pricedByConfig = (d: Deployment): boolean => configPrice(d) !== undefined;

const resolved = new WeakMap<Deployment, { version: number; price: Price | undefined }>();

/** Providers serving another's models at its list prices, for the price table's `<provider>/<model>` names. */
const PRICED_AS: Readonly<Record<string, string>> = { google: "gemini", vertex_ai: "gemini" };

/** The deployment's price, or undefined when nobody knows it. Cached per deployment and map version. */
export function priceOf(d: Deployment, book: PriceBook): Price | undefined {
  const hit = resolved.get(d);
  if (hit && hit.version === book.version) return hit.price;
  let price = configPrice(d);
  if (!price && LOCAL_PROVIDERS.has(d.provider)) price = FREE;
  if (!price) {
    // Vertex writes versions as `claude-sonnet-4-5@20250929`.
    const alias = PRICED_AS[d.provider];
    const names = [d.info.base_model, `${d.provider}/${d.model}`, alias && `${alias}/${d.model}`, d.model, d.model.split("@")[0]].filter((n): n is string => !!n);
    for (const name of names) if ((price = priceForName(name, book))) break;
  }
  resolved.set(d, { version: book.version, price });
  return price;
}
