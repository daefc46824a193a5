// The budget policy a guard enforces: the config's budget settings (BudgetPolicy in core/guard-rpc.ts),
// which only the Worker has. Isolates send it with each admission; the guard keeps the last one in
// meta "policy" for what it does on its own (alarms roll budget periods in the policy's time zone).
// Guards asked by isolates of an earlier version get none: UTC, reservations on, no default budgets.
import type { BudgetPolicy, KeyConfig, Limits, ScopeConfig } from "../../core/guard-rpc";
import type { GuardStorage } from "./storage";

/** A key's limits with the config's default budget (general_settings.max_budget) when it has none of its own. */
export function withKeyDefault(l: Limits, policy: BudgetPolicy | undefined): Limits {
  const d = policy?.keyDefault;
  if (!d || l.max_budget !== null) return l;
  return { ...l, max_budget: d.max_budget, budget_duration: l.budget_duration ?? d.budget_duration };
}

export class Policy {
  current: BudgetPolicy | undefined;
  /** The last key config made effective, and for which policy (one allocation per config change, not per call). */
  private effectiveFor: { config: KeyConfig; policy: string | undefined; effective: KeyConfig } | undefined;

  constructor(private readonly storage: GuardStorage) {
    this.current = storage.meta<BudgetPolicy>("policy");
  }

  /** Takes the policy an isolate sent, storing it when it changed. */
  update(policy: BudgetPolicy | undefined): void {
    if (!policy || policy.id === this.current?.id) return;
    this.current = policy;
    this.storage.putMeta("policy", policy);
  }

  get tz(): string {
    return this.current?.timezone ?? "UTC";
  }

  get plain(): boolean {
    return this.current?.plain === true;
  }

  /** The config as enforced: a key's limits with the default budget applied. */
  effective<C extends KeyConfig | ScopeConfig | undefined>(config: C): C {
    if (!config || !("token" in config) || !this.current?.keyDefault || config.limits.max_budget !== null) return config;
    const cached = this.effectiveFor;
    if (cached?.config === config && cached.policy === this.current.id) return cached.effective as C;
    const effective: KeyConfig = { ...(config as KeyConfig), limits: withKeyDefault(config.limits, this.current) };
    this.effectiveFor = { config, policy: this.current.id, effective };
    return effective as C;
  }
}
