// A guard's spend against its budgets, and the budget periods (budget_duration, a model budget's
// time_period) that reset it. Kept in meta "state" (JSON, read by every version: keep its shape);
// "dirty" says the totals changed since D1 last had them.
import type { KeyConfig, ScopeConfig } from "../../core/guard-rpc";
import { nextBudgetReset } from "../../lib/duration";
import type { GuardStorage } from "./storage";

export interface Budget {
  spend: number;
  resetAt: number | null;
  /** The budget_duration resetAt was computed for. */
  duration: string | null;
  /** The time zone resetAt was computed in; absent: UTC (and state written by earlier versions). */
  tz?: string;
  /** Tokens spent in the period (max_token_budget); absent: 0. */
  tokens?: number;
}

/** Meta "state". */
export interface SpendState {
  budget: Budget;
  /** Key guards: spend per model group (model_max_budget). */
  models: Record<string, Budget>;
  /** Team guards: spend per member (max_budget_in_team). */
  members: Record<string, number>;
}

const noBudget = (): Budget => ({ spend: 0, resetAt: null, duration: null });

/** A model group's budget in `state`, made on first use. */
export const modelBudget = (state: SpendState, model: string): Budget => (state.models[model] ??= noBudget());

/** Starts a new budget period if due (or if the duration or time zone changed); true if anything changed. */
export function roll(b: Budget, duration: string | null, now: number, tz = "UTC"): boolean {
  let changed = false;
  if (duration !== b.duration || (duration && (b.tz ?? "UTC") !== tz)) {
    b.duration = duration;
    b.resetAt = duration ? nextBudgetReset(duration, now, tz) : null;
    if (tz === "UTC") delete b.tz;
    else b.tz = tz;
    changed = true;
  }
  if (b.resetAt !== null && now >= b.resetAt) {
    b.spend = 0;
    if (b.tokens) b.tokens = 0;
    b.resetAt = nextBudgetReset(b.duration!, now, tz);
    changed = true;
  }
  return changed;
}

/** Starts every budget period of `state` whose time has come; true if anything changed. */
export function rollBudgets(state: SpendState, config: KeyConfig | ScopeConfig, now: number, tz = "UTC"): boolean {
  let changed = roll(state.budget, config.limits.budget_duration, now, tz);
  const modelBudgets = "model_max_budget" in config.limits ? config.limits.model_max_budget : undefined;
  for (const [model, b] of Object.entries(modelBudgets ?? {})) {
    changed = roll(modelBudget(state, model), b.time_period ?? null, now, tz) || changed;
  }
  return changed;
}

export class Budgets {
  /** Unset until the config is first loaded (from D1's totals) or something is spent. */
  state: SpendState | undefined;
  /** The totals changed since the last flush to D1 (meta "dirty"). */
  dirty: boolean;
  /** Bumped on every change; a flush only clears `dirty` if nothing changed meanwhile. */
  seq = 0;

  constructor(private readonly storage: GuardStorage) {
    this.state = storage.meta<SpendState>("state");
    this.dirty = storage.meta<boolean>("dirty") ?? false;
  }

  ensure(): SpendState {
    return (this.state ??= { budget: noBudget(), models: {}, members: {} });
  }

  /** Starts new budget periods whose time has come (and stores them); true if anything changed. */
  roll(config: KeyConfig | ScopeConfig | undefined, now: number, tz?: string): boolean {
    if (!this.state || !config) return false;
    const changed = rollBudgets(this.state, config, now, tz);
    if (changed) this.changed();
    return changed;
  }

  /** Stores the state after a change and marks it for the next flush. */
  changed(): void {
    this.seq++;
    this.storage.putMeta("state", this.state);
    if (!this.dirty) this.storage.putMeta("dirty", true);
    this.dirty = true;
  }

  /** The next budget reset (on the guard's clock), if any budget has a period. */
  nextReset(): number | undefined {
    if (!this.state) return undefined;
    let next: number | undefined;
    for (const b of [this.state.budget, ...Object.values(this.state.models)]) if (b.resetAt !== null && (next === undefined || b.resetAt < next)) next = b.resetAt;
    return next;
  }

  /** D1 has the totals as of `seqAtFlush`: not dirty any more, unless they changed since. */
  flushed(seqAtFlush: number): void {
    if (seqAtFlush !== this.seq) return;
    this.dirty = false;
    this.storage.putMeta("dirty", false);
  }
}
