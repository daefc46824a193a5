// What the Worker and the KeyGuard Durable Objects say to each other: the RPC methods and their
// requests and answers, and `guardFor`, the one place a guard's stub is made. These shapes cross
// isolates of different versions during a deploy: change them only in ways old and new both read.
import type { Env } from "../env";
import type { ErrorKind } from "../errors";
import type { JsonObject, ModelBudgets, ModelLimits } from "../schema/db";
import type { ObjectPermission } from "../schema/mcp";

/**
 * Who a guard guards: one per key (`key:<token>`), per team (`team:<id>`), per user (`user:<id>`), and
 * one for the proxy-wide budget (`proxy:global`, litellm_settings.max_budget).
 */
export type ScopeIdentity = { kind: "team" | "user" | "proxy"; id: string };
export type GuardIdentity = { kind: "key"; token: string } | ScopeIdentity;

export const guardName = (id: GuardIdentity) => (id.kind === "key" ? `key:${id.token}` : `${id.kind}:${id.id}`);

/**
 * A call's (or several calls') share of one daily_spend row, positional:
 * [date, api_key, model_group, team_id, spend, prompt_tokens, completion_tokens, requests, failures, unpriced_requests].
 * Summed in the guard as calls settle, so a flush sends D1 a few sums instead of having SQL re-read every row.
 * Positional because it is stored in guards' outboxes and sent between versions (src/spend/flush.ts makes them).
 */
export type DailyRow = [string, string, string, string, number, number, number, number, number, number];

/** Limits shared by keys, teams and users. null = no limit. */
/**
 * What gives access to a model group: one of `names` (its own name first, then its deployments' access
 * groups), or a wildcard entry matching its name or the `provider/model` of every deployment in `models`.
 */
export interface ModelAccess {
  names: readonly string[];
  models: readonly string[];
}

export interface Limits {
  max_budget: number | null;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  model_max_budget?: ModelBudgets | null;
  model_rpm_limit?: ModelLimits | null;
  model_tpm_limit?: ModelLimits | null;
  /** Tokens (prompt + completion) per budget period; absent from configs of earlier versions. */
  max_token_budget?: number | null;
}

/**
 * How budgets are admitted, from the config: isolates send it with every admission (guards of every
 * key need it, and only the Worker has the config) and a guard keeps the last one for its alarms.
 */
export interface BudgetPolicy {
  /** A stable id of the fields below: a guard compares it and stores the policy only when it changes. */
  id: string;
  /** litellm_settings.disable_budget_reservation: admit while spend < max_budget, reserve nothing. */
  plain?: boolean;
  /** litellm_settings.timezone (IANA name); UTC when absent. */
  timezone?: string;
  /** general_settings.max_budget / budget_duration: the budget of keys without a max_budget of their own. */
  keyDefault?: { max_budget: number; budget_duration: string | null };
  /** litellm_settings.max_budget / budget_duration: the proxy-wide budget (its guard's limits). */
  proxy?: { max_budget: number; budget_duration: string | null };
}

/** A virtual key as its guard enforces it and as isolates cache it. Built from D1 (key + team + user rows). */
export interface KeyConfig {
  token: string;
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  /** What the key may call: its own models, else its team's, else its user's; empty = all. */
  models: string[];
  expires: number | null;
  blocked: boolean;
  team_blocked: boolean;
  limits: Limits;
  soft_budget: number | null;
  metadata: JsonObject;
  tags: string[];
  /** Guardrails every call runs: the key's and its team's (absent when none; isolates of an earlier version leave it out). */
  guardrails?: string[];
  /** The request cache controls the key may send; empty = any. (Optional: configs cached by older versions lack it.) */
  allowed_cache_controls?: string[];
  /** The team's metadata (its `cache` controls apply to keys that set none). */
  team_metadata?: JsonObject;
  /** Whether the team / user has limits of its own, so admission must ask their guards too. */
  team_limited: boolean;
  user_limited: boolean;
  /** `<key version>.<team version>.<user version>`: any change to them changes it. */
  version: string;
  /** LiteLLM's object_permission of the key and of its team: the MCP servers and tools they may use. Absent from older guards. */
  object_permission?: { key: ObjectPermission | null; team: ObjectPermission | null };
}

/** A team or user as its guard enforces it. */
export interface ScopeConfig {
  kind: "team" | "user" | "proxy";
  id: string;
  blocked: boolean;
  limits: Limits;
  /** Team guards: max_budget_in_team per member. */
  member_budgets: Record<string, number | null>;
  version: string;
}

export interface AdmitRequest {
  token: string;
  requestId: string;
  /** Model group. */
  model: string;
  /** USD: the most this call can cost (the guard reserves it, or what is left of a budget when less). */
  cost: number;
  /** The version of the KeyConfig the isolate holds; the answer carries the config when it differs. */
  knownVersion?: string;
  /** The isolate would take a lease for the key's next calls (src/limits/lease.ts). */
  wantLease?: boolean;
  /** Tokens: the most this call can use (prompt estimate + output cap), for max_token_budget. */
  tokens?: number;
  /** What gives access to the model (see mayAccess): the key's models are checked before any limit. */
  access?: ModelAccess;
  policy?: BudgetPolicy;
  /**
   * The cost is known only as the call runs (a Realtime session): nothing is held, but the call is
   * refused once a budget is spent, as a priced call is (a call with nothing to hold otherwise counts as free).
   */
  unbounded?: boolean;
}

/** A new lease without a call of its own (an isolate renewing ahead of need). */
export interface LeaseRequest {
  token: string;
  knownVersion?: string;
  /** USD one call reserves (what the lease's budget is sized in). */
  callCost: number;
  policy?: BudgetPolicy;
}

/**
 * A share of a key's limits that one isolate admits calls from by itself: the guard counted `slots`
 * requests against rpm_limit and reserved `budget` USD from max_budget when it granted it.
 */
export interface LeaseGrant {
  id: string;
  slots: number;
  /** null: the key has no max_budget. */
  budget: number | null;
  /** How long the isolate may admit calls from it, from the moment it arrives. */
  ttlMs: number;
}

/** An isolate is done with a lease: what it did not use goes back to the key. */
export interface LeaseReturn {
  lease: string;
  unusedSlots: number;
  /** Calls settled from it: the guard releases it once it has all of them (batches may arrive out of order). */
  calls: number;
}

export interface RateHeaders {
  limitRequests?: number;
  remainingRequests?: number;
  limitTokens?: number;
  remainingTokens?: number;
}

export type AdmitAnswer =
  | { ok: true; version: string; config?: KeyConfig; spend: number; maxBudget: number | null; rate: RateHeaders; lease?: LeaseGrant }
  | Refusal;

export interface Refusal {
  ok: false;
  status: number;
  kind: ErrorKind;
  type: string;
  message: string;
  retryAfter?: number;
  /** Set when the key itself is no longer usable (deleted, blocked, expired): isolates drop their copy. */
  revoked?: boolean;
  /** Refused because calls in flight hold what is left of a budget (not spent yet): worth a retry soon. */
  held?: boolean;
}

export type LookupAnswer = { ok: true; config: KeyConfig } | Refusal;

export interface ScopeAdmitRequest {
  kind: "team" | "user" | "proxy";
  id: string;
  requestId: string;
  model: string;
  cost: number;
  /** The key's user, for team member budgets. */
  userId: string | null;
  tokens?: number;
  policy?: BudgetPolicy;
  unbounded?: boolean;
}

/** The end of a call, sent to the key's guard after the response went out. */
export interface Settlement {
  token: string;
  requestId: string;
  model: string;
  /** USD actually spent. */
  cost: number;
  /** Prompt + completion tokens, for tpm limits. */
  tokens: number;
  /** The spend log row, as outboxRow() in src/spend/flush.ts wrote it. */
  row: string;
  /** Its daily_spend share (dailyRow() in flush.ts); absent from isolates of an earlier version. */
  daily?: DailyRow;
  /** Admitted by an isolate from this lease, whose budget the cost is charged to. */
  lease?: string;
}

export interface ScopeSettlement {
  kind: "team" | "user" | "proxy";
  id: string;
  requestId: string;
  model: string;
  cost: number;
  tokens: number;
  userId: string | null;
}

/** A guard's live figures (D1 lags by up to a flush). */
export interface GuardSnapshot {
  spend: number;
  reserved: number;
  inFlight: number;
  budgetResetAt: number | null;
  modelSpend: Record<string, number>;
  pendingRows: number;
  /** Tokens spent in the budget period (max_token_budget); absent from guards of earlier versions. */
  tokenSpend?: number;
  reservedTokens?: number;
}

/** The KeyGuard's RPC methods, as callers see them (src/limits/guard implements them). */
export interface GuardRpc {
  /** Validates a key (for isolates whose cache has no fresh copy). */
  lookup(token: string): Promise<LookupAnswer>;
  /** Validates the key and reserves the call, or says why not. The only call on the request path. */
  admit(req: AdmitRequest): Promise<AdmitAnswer>;
  /** A lease for the key's next calls, asked for ahead of need. */
  renewLease(req: LeaseRequest): Promise<AdmitAnswer>;
  /** The call was admitted but will not run after all. */
  cancel(requestId: string): Promise<void>;
  /** The call is over: charge what it cost, release the rest, queue its spend log row. */
  settle(s: Settlement): Promise<void>;
  /** Several settlements (and lease returns) in one round trip; `batchId` makes a repeated delivery a no-op. */
  settleMany(list: Settlement[], returns?: LeaseReturn[], batchId?: string): Promise<void>;
  snapshot(): Promise<GuardSnapshot>;
  /**
   * Re-reads the config from D1 now (admin routes call this after every change). Key guards answer how
   * many ms their leases may still admit calls under the old config (earlier versions: nothing).
   */
  refresh(id: GuardIdentity): Promise<number | void>;
  /** Flushes everything pending to D1 now; returns the rows still pending. */
  flushNow(): Promise<number>;
  /** Test clock (ALLOW_TEST_CLOCK=1 only). */
  advanceClock(ms: number): Promise<void>;
  scopeAdmit(req: ScopeAdmitRequest): Promise<{ ok: true } | Refusal>;
  scopeRelease(requestId: string): Promise<void>;
  scopeSettle(s: ScopeSettlement): Promise<void>;
}

export function guardFor(env: Env, id: GuardIdentity): GuardRpc {
  // The namespace is untyped in env.ts (the class is imported only by src/index.ts); the class implements GuardRpc.
  return env.KEY_GUARD.get(env.KEY_GUARD.idFromName(guardName(id))) as unknown as GuardRpc;
}
