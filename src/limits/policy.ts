// The config's budget settings as the guards enforce them (BudgetPolicy, core/guard-rpc.ts): made once
// per runtime, sent with each admission (only the Worker has the config).
import type { BudgetPolicy } from "../core/guard-rpc";
import type { Runtime } from "../core/provider";

const policies = new WeakMap<Runtime, BudgetPolicy>();

export function budgetPolicy(runtime: Runtime): BudgetPolicy {
  let policy = policies.get(runtime);
  if (!policy) {
    const { litellm_settings: l, general_settings: g } = runtime.config;
    const fields: Omit<BudgetPolicy, "id"> = {
      ...(l.disable_budget_reservation ? { plain: true } : {}),
      ...(l.timezone ? { timezone: l.timezone } : {}),
      ...(g.max_budget !== undefined ? { keyDefault: { max_budget: g.max_budget, budget_duration: g.budget_duration ?? null } } : {}),
      ...(l.max_budget !== undefined ? { proxy: { max_budget: l.max_budget, budget_duration: l.budget_duration ?? null } } : {}),
    };
    policy = { id: JSON.stringify(fields), ...fields };
    policies.set(runtime, policy);
  }
  return policy;
}
