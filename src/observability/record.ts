// A finished LLM call as observability sees it: plain facts, made once when the call is over (for
// streams: last chunk sent or client gone), then read by the metrics, the callbacks, the alerts and the
// log line. Nothing here holds a Response or the request's context.
import type { AttemptNote, CallOutcome, LlmCall, LlmRequest } from "../core/call";
import { ENDPOINTS } from "../core/endpoints";
import type { GatewayError } from "../errors";
import type { CallCost } from "../spend/spend-log";

export interface KeyFacts {
  /** SHA-256 of the key (the master key's for admin calls); null in open mode. */
  hash: string | null;
  alias: string | null;
  userId: string | null;
  teamId: string | null;
  teamAlias: string | null;
  /** The request's `user` field (LiteLLM's end user). */
  endUser: string | null;
  /** The key's spend once this call is charged, and its budgets (virtual keys). */
  spendAfter?: number;
  maxBudget?: number | null;
  softBudget?: number | null;
}

/** Facts read from the answer's headers as they are built (after the limits step wrote its own). */
export interface AnswerFacts {
  /** x-litellm-key-spend: the key's spend before this call's cost (streams) or with it (JSON). */
  keySpend?: number;
  keyRemainingRequests?: number;
  keyRemainingTokens?: number;
  overheadMs?: number;
}

export interface ErrorFacts {
  status: number;
  /** LiteLLM's exception class, e.g. `Openai.RateLimitError`. */
  class: string;
  message: string;
  kind: GatewayError["kind"];
}

export interface CallRecord {
  id: string;
  callType: string;
  route: string;
  stream: boolean;
  /** The model name the client asked for. */
  requestedModel: string;
  /** Its model group, and the group that answered (a fallback's after fallbacks). */
  group: string;
  answeredGroup: string;
  deployment?: { id: string; provider: string; model: string; apiBase: string };
  /** The upstream URL that answered (or failed last), without query string. */
  apiBase: string;
  status: "success" | "failure";
  aborted: boolean;
  httpStatus: number;
  error?: ErrorFacts;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cost: number;
  startedAt: number;
  endedAt: number;
  /** When the answering attempt started, and (streams) when its first chunk came. */
  apiStartedAt?: number;
  firstChunkAt?: number;
  overheadMs: number;
  retries: number;
  fallbacks: number;
  key: KeyFacts;
  remaining: { keyRequests?: number; keyTokens?: number; upstreamRequests?: number; upstreamTokens?: number };
  attempts: readonly AttemptNote[];
  tags: string[];
  /** Absent for requests refused before their body was read. */
  request?: LlmRequest;
  /** The answer (JSON body, or a stream's assembled text), when a callback logs it. */
  response?: Promise<unknown>;
}

const ERROR_CLASSES: Record<GatewayError["kind"], string> = {
  bad_request: "BadRequestError",
  context_window: "ContextWindowExceededError",
  content_policy: "ContentPolicyViolationError",
  auth: "AuthenticationError",
  permission: "PermissionDeniedError",
  not_found: "NotFoundError",
  timeout: "Timeout",
  rate_limit: "RateLimitError",
  budget: "BudgetExceededError",
  server: "InternalServerError",
  unavailable: "ServiceUnavailableError",
};

/** LiteLLM's exception_class label: `<Provider>.<ExceptionClass>` for provider errors, the class alone otherwise. */
export function errorClass(error: GatewayError, provider?: string): string {
  const name = ERROR_CLASSES[error.kind];
  return error.upstream && provider ? `${provider[0].toUpperCase()}${provider.slice(1)}.${name}` : name;
}

export const errorFacts = (error: GatewayError, provider?: string): ErrorFacts => ({ status: error.status, class: errorClass(error, provider), message: error.message, kind: error.kind });

/** The request's tags: body `tags`, `metadata.tags`, and the key's own. */
function tagsOf(call: LlmCall): string[] {
  const body = call.request.body as Record<string, unknown> & { metadata?: { tags?: unknown } };
  const all = [...(Array.isArray(body.tags) ? body.tags : []), ...(Array.isArray(body.metadata?.tags) ? body.metadata.tags : []), ...(call.principal.key?.tags ?? [])];
  return all.filter((t): t is string => typeof t === "string");
}

export interface RecordInput {
  call: LlmCall;
  outcome: CallOutcome;
  cost: CallCost;
  route: string;
  key: KeyFacts;
  answer: AnswerFacts;
  response?: Promise<unknown>;
}

export function callRecord({ call, outcome, cost, route, key, answer, response }: RecordInput): CallRecord {
  const d = outcome.deployment;
  const last = call.attempts.at(-1);
  const ok = outcome.status === "ok";
  const usage = cost.usage;
  const error = outcome.error ?? (outcome.status === "aborted" ? undefined : last?.error);
  const answering = ok && last && !last.error ? last : undefined;
  const body = call.request.body as { model?: unknown };
  return {
    id: call.id,
    callType: ENDPOINTS[call.endpoint].callType,
    route,
    stream: call.stream,
    requestedModel: typeof body.model === "string" ? body.model : call.group.name,
    group: call.group.name,
    answeredGroup: d?.modelName ?? call.group.name,
    deployment: d && { id: d.id, provider: d.provider, model: d.model, apiBase: deploymentBase(d.params.api_base) },
    apiBase: call.apiBase,
    status: ok ? "success" : "failure",
    aborted: outcome.status === "aborted",
    httpStatus: outcome.httpStatus,
    error: error && !ok ? errorFacts(error, d?.provider) : undefined,
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
    cost: cost.cost,
    startedAt: call.startedAt,
    endedAt: outcome.endedAt,
    apiStartedAt: answering?.startedAt,
    firstChunkAt: answering && call.stream ? answering.startedAt + answering.ms : undefined,
    overheadMs: answer.overheadMs ?? Math.max(0, outcome.endedAt - call.startedAt - call.upstreamMs),
    retries: call.attemptedRetries,
    fallbacks: call.attemptedFallbacks,
    key,
    remaining: { keyRequests: answer.keyRemainingRequests, keyTokens: answer.keyRemainingTokens, upstreamRequests: call.upstreamRemaining?.requests, upstreamTokens: call.upstreamRemaining?.tokens },
    attempts: call.attempts,
    tags: tagsOf(call),
    request: call.request,
    response,
  };
}

/** A request refused before it became a call (a bad key, a bad body): counted, logged, not sent to callbacks. */
export function refusalRecord(id: string, route: string, error: GatewayError, key: KeyFacts, startedAt: number): CallRecord {
  const endedAt = Date.now();
  return {
    id,
    callType: "acompletion",
    route,
    stream: false,
    requestedModel: "",
    group: "",
    answeredGroup: "",
    apiBase: "",
    status: "failure",
    aborted: false,
    httpStatus: error.status,
    error: errorFacts(error),
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    cost: 0,
    startedAt,
    endedAt,
    overheadMs: endedAt - startedAt,
    retries: 0,
    fallbacks: 0,
    key,
    remaining: {},
    attempts: [],
    tags: [],
  };
}

/** A deployment's api_base as a label: the configured base without its query string, "None" when it uses the provider's default. */
export function deploymentBase(apiBase: string | undefined): string {
  if (!apiBase) return "None";
  const q = apiBase.indexOf("?");
  return q < 0 ? apiBase : apiBase.slice(0, q);
}
