// What a finished call cost, and its spend log row (LiteLLM's SpendLogs columns).
import type { CallOutcome, LlmCall } from "../core/call";
import { ENDPOINTS } from "../core/endpoints";
import type { Principal } from "../core/principal";
import type { SpendLogRow } from "../schema/db";
import type { Usage } from "../schema/openai";
import { cachedTokens, costOf, NO_TOKEN_PRICE, type Reservation } from "./cost";
import { priceOf, pricedByConfig, type PriceBook } from "./prices";
import { batchTokensCost, unitsCost } from "./units";
import { tokensOfLength } from "../lib/tokens";
import { logText } from "../lib/safe-text";

export interface CallCost {
  cost: number;
  usage?: Usage;
  /** The deployment has no known price: charged 0. */
  unpriced: boolean;
  /** The usage is the gateway's estimate (the client left before the provider reported it). */
  estimated: boolean;
}

/**
 * The usage to charge: the upstream's when the call ran to its end (a stream that came without one is
 * estimated from its text); for a call cut short (the client left, the gateway could not deliver, the
 * upstream failed mid-stream) the upstream's count when it covers what was generated, else an estimate:
 * the prompt (the provider processed it) plus the text generated so far (~4 characters a token). A failure
 * is charged only for text an upstream generated before failing mid-stream; a call a guardrail refused, nothing.
 */
function chargedUsage(outcome: CallOutcome, reservation: Reservation): { usage?: Usage; estimated: boolean; charged: boolean } {
  // Refused by a guardrail: never charged, but the row keeps what the upstream billed, counted as for a
  // call cut short (a stream blocked mid-way was let go before its usage chunk: estimated from its text).
  if (outcome.error?.type === "guardrail_violation") return { ...chargedUsage({ ...outcome, status: "aborted", error: undefined }, reservation), charged: false };
  const { usage, status } = outcome;
  const generated = tokensOfLength(outcome.generatedChars ?? 0);
  if (status === "error" && !generated) return { estimated: false, charged: false };
  if (usage && (status === "ok" || usage.completion_tokens >= generated)) return { usage, estimated: false, charged: true };
  // Complete but uncounted: a stream whose upstream sent no usage is estimated from its text.
  if (status === "ok" && !generated) return { usage, estimated: false, charged: true };
  const prompt = usage?.prompt_tokens ?? reservation.promptTokens;
  const completion = Math.max(usage?.completion_tokens ?? 0, generated);
  return { usage: { ...usage, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }, estimated: true, charged: true };
}

/** One per outcome: the answer's headers, the settlement and the observer all ask for it. */
const costs = new WeakMap<CallOutcome, CallCost>();

/**
 * What the call cost (a cache hit: nothing): what the upstream charged (or, cut short, an estimate of it)
 * at its deployment's price. Computed once per outcome; `reservation` only lends the prompt estimate, the
 * same for every caller.
 */
export function callCost(outcome: CallOutcome, book: PriceBook, reservation: Reservation): CallCost {
  let cost = costs.get(outcome);
  if (!cost) costs.set(outcome, (cost = costOfOutcome(outcome, book, reservation)));
  return cost;
}

function costOfOutcome(outcome: CallOutcome, book: PriceBook, reservation: Reservation): CallCost {
  if (outcome.cacheHit) return { cost: 0, usage: outcome.usage, unpriced: false, estimated: false };
  const deployment = outcome.deployment;
  if (!deployment) return { cost: 0, unpriced: false, estimated: false };
  const { usage, estimated, charged } = chargedUsage(outcome, reservation);
  const units = outcome.units;
  if (!charged || (!usage && !units)) return { cost: 0, usage, unpriced: false, estimated };
  // Image models are priced by their size and quality entries even when the model itself has none.
  const price = priceOf(deployment, book) ?? (units?.images !== undefined ? NO_TOKEN_PRICE : undefined);
  if (!price) {
    warnUnpriced(`${deployment.provider}/${deployment.model}`);
    return { cost: 0, usage, unpriced: true, estimated };
  }
  let cost = 0;
  if (usage) {
    // gpt-image answers in tokens: priced as tokens alone (its output at the image-token price), not per image too.
    const imageTokens = units?.images !== undefined ? price.units?.output_cost_per_image_token : undefined;
    cost += units?.batch ? batchTokensCost(usage, price) : costOf(usage, imageTokens === undefined ? price : { ...price, output: imageTokens });
    // Audio input tokens (gpt-4o-transcribe) at their own price, where the model has one.
    const audio = (usage.prompt_tokens_details as { audio_tokens?: number } | null | undefined)?.audio_tokens;
    const audioPrice = price.units?.input_cost_per_audio_token;
    if (audio && audioPrice !== undefined) cost += audio * (audioPrice - price.input);
  }
  if (units && !(units.images !== undefined && usage)) cost += unitsCost(units, deployment, price, book, pricedByConfig(deployment));
  if (price === NO_TOKEN_PRICE && cost === 0) {
    warnUnpriced(`${deployment.provider}/${deployment.model}`);
    return { cost: 0, usage, unpriced: true, estimated };
  }
  return { cost, usage, unpriced: false, estimated };
}

const warned = new Set<string>();
function warnUnpriced(model: string): void {
  if (warned.has(model) || warned.size > 1000) return;
  warned.add(model);
  console.warn(`[spend] no price known for ${logText(model, 200)}: charged 0 (set input_cost_per_token/output_cost_per_token, or POST /model/cost_map)`);
}

/** The request's tags: body `tags`, `metadata.tags`, and the key's own. */
function tagsOf(call: LlmCall, principal: Principal): string[] {
  const body = call.request.body as Record<string, unknown> & { metadata?: { tags?: unknown } };
  return [...(Array.isArray(body.tags) ? body.tags : []), ...(Array.isArray(body.metadata?.tags) ? body.metadata.tags : []), ...(principal.key?.tags ?? [])].filter((t): t is string => typeof t === "string");
}

function requestContent(call: LlmCall): unknown {
  const r = call.request;
  switch (r.endpoint) {
    case "chat":
      return r.body.messages;
    case "completion":
      return r.body.prompt;
    case "embedding":
    case "speech":
    case "moderation":
      return r.body.input;
    case "image_generation":
      return r.body.prompt;
    case "rerank":
      return { query: r.body.query, documents: r.body.documents };
    case "transcription":
    case "translation":
    case "file":
      return { file: r.body.file.name, bytes: r.body.file.size };
    case "batch":
      return { input_file_id: r.body.input_file_id, endpoint: r.body.endpoint };
  }
}

/** The spend log's `status` (README "Spend log status"): what the client got; the tokens and spend say what the upstream charged. */
const SPEND_STATUS = { ok: "success", error: "failure", aborted: "aborted", undelivered: "undelivered" } as const satisfies Record<CallOutcome["status"], string>;

/** Blocked (refused by a guardrail, charged nothing), else SPEND_STATUS. */
function logStatus(outcome: CallOutcome): string {
  return outcome.error?.type === "guardrail_violation" ? "blocked" : SPEND_STATUS[outcome.status];
}

export interface SpendLogInput {
  call: LlmCall;
  outcome: CallOutcome;
  principal: Principal;
  /** The token spend is logged under. */
  token: string;
  cost: CallCost;
  /** Keep the request and the answer (general_settings.store_prompts_in_spend_logs). */
  storePrompts: boolean;
  response: unknown;
}

export function spendLogRow({ call, outcome, principal, token, cost, storePrompts, response }: SpendLogInput): SpendLogRow {
  const { usage } = cost;
  const status = logStatus(outcome);
  // What a guardrail refused (a secret in the prompt or the answer) is not kept, even when prompts are.
  const keep = storePrompts && status !== "blocked";
  const d = outcome.deployment;
  const body = call.request.body as { user?: unknown };
  return {
    request_id: call.id,
    api_key: token,
    user: principal.key?.user_id ?? null,
    team_id: principal.key?.team_id ?? null,
    end_user: typeof body.user === "string" ? body.user : null,
    model: d?.model ?? call.group.name,
    model_group: call.group.name,
    model_id: d?.id ?? null,
    custom_llm_provider: d?.provider ?? null,
    api_base: call.apiBase || null,
    // A batch's cost is recorded when it is retrieved completed (src/http/routes/files-batches.ts).
    call_type: call.client?.callType ?? (outcome.units?.batch ? "aretrieve_batch" : ENDPOINTS[call.endpoint].callType),
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    cached_tokens: usage ? cachedTokens(usage) : 0,
    total_tokens: usage?.total_tokens ?? 0,
    spend: cost.cost,
    cache_hit: outcome.cacheHit === true,
    status,
    start_time: call.startedAt,
    end_time: outcome.endedAt,
    duration_ms: outcome.endedAt - call.startedAt,
    request_tags: tagsOf(call, principal),
    messages: keep ? requestContent(call) : null,
    response: keep ? (response ?? null) : null,
    metadata: {
      ...(principal.key?.key_alias ? { user_api_key_alias: principal.key.key_alias } : {}),
      ...(outcome.error ? { error: outcome.error.message, status_code: outcome.httpStatus } : {}),
      ...(cost.unpriced ? { price_unknown: true } : {}),
      ...(cost.estimated ? { usage_estimated: true } : {}),
      ...(outcome.units ? { billed_units: outcome.units } : {}),
    },
  };
}
