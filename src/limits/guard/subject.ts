// Who a guard guards (a key, a team, a user, or the proxy-wide budget) and the config it enforces for
// them: loaded from D1 on first use, re-read in the background once a minute and at once when an admin
// route changes it. The proxy's comes from the config (litellm_settings.max_budget) with each admission.
// Kept in meta "identity" (stored once the guard holds anything: unknown keys leave no storage behind),
// "epoch" and "config".
import type { Env } from "../../env";
import type { BudgetPolicy, GuardIdentity, KeyConfig, ScopeConfig } from "../../core/guard-rpc";
import { loadKeyConfig, loadScopeConfig } from "../../keys/config";
import type { Budgets } from "./budgets";
import type { GuardStorage } from "./storage";

export type Config = KeyConfig | ScopeConfig;

/** Guards re-read their config from D1 this often while in use (admin routes also push changes at once). */
const CONFIG_REFRESH_MS = 60_000;

/** Compares `a.b.c` versions numerically. */
function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export class Subject {
  identity: GuardIdentity | undefined;
  /** Distinguishes this storage from any earlier one with the same name (flush markers in D1). */
  readonly epoch: string;
  config: Config | undefined;
  /** The identity is in storage (so settle need not read meta to know). */
  private identityStored: boolean;
  /** Looked up in D1 and not there (unknown or deleted). */
  private missing = false;
  private loading: Promise<void> | undefined;
  private loadedAt = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly storage: GuardStorage,
    private readonly budgets: Budgets,
    private readonly now: () => number,
    /** Starts budget periods due (with the guard's policy). */
    private readonly roll: () => void,
  ) {
    this.identity = storage.meta<GuardIdentity>("identity");
    this.identityStored = this.identity !== undefined;
    this.config = storage.meta<Config>("config");
    this.epoch = storage.meta<string>("epoch") ?? crypto.randomUUID();
  }

  /** The config of a key guard (undefined: unknown or deleted key). */
  get key(): KeyConfig | undefined {
    return this.config as KeyConfig | undefined;
  }

  /** The proxy-wide budget's guard: its limits are the config's, sent with each admission (not in D1). */
  useProxyBudget(id: string, budget: BudgetPolicy["proxy"]): void {
    this.identity ??= { kind: "proxy", id };
    const version = budget ? `${budget.max_budget}/${budget.budget_duration ?? ""}` : "none";
    if (this.config?.version === version) return;
    const limits = { max_budget: budget?.max_budget ?? null, budget_duration: budget?.budget_duration ?? null, rpm_limit: null, tpm_limit: null, max_parallel_requests: null };
    this.config = { kind: "proxy", id, blocked: false, limits, member_budgets: {}, version };
    this.loadedAt = Date.now();
    this.remember(this.identity);
    this.storage.putMeta("config", this.config);
    this.budgets.ensure();
  }

  /** Makes sure the config is loaded (from D1 on first use); refreshes it in the background once a minute. */
  async ready(id: GuardIdentity): Promise<void> {
    this.identity ??= id;
    if (id.kind === "proxy") return; // useProxyBudget keeps it
    if (this.config || this.missing) {
      if (Date.now() - this.loadedAt > CONFIG_REFRESH_MS && !this.loading) {
        this.loading = this.reload().catch((err) => console.warn(`[limits] config refresh failed: ${(err as Error).message}`)).finally(() => (this.loading = undefined));
        this.ctx.waitUntil(this.loading);
      }
      return;
    }
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    await this.loading;
  }

  /** Settling needs the config loaded and this guard's identity stored. */
  async readyToSettle(id: GuardIdentity): Promise<void> {
    await this.ready(id);
    this.remember(id);
  }

  /** Records who this guard is, durably once it holds anything (unknown keys leave no storage behind). */
  remember(id: GuardIdentity, persist = true): void {
    if (!this.identity) this.identity = id;
    if (persist && !this.identityStored) {
      this.storage.putMeta("identity", this.identity);
      this.storage.putMeta("epoch", this.epoch);
      this.identityStored = true;
    }
  }

  /** Reads the config from D1; on the first load, the spend D1 holds too. */
  async reload(): Promise<void> {
    const id = this.identity;
    if (!id || id.kind === "proxy") return;
    const loaded = id.kind === "key" ? await loadKeyConfig(this.env.DB, id.token) : await loadScopeConfig(this.env.DB, id.kind, id.id);
    this.loadedAt = Date.now();
    if (!loaded) {
      this.missing = true;
      if (this.config) {
        this.config = undefined;
        this.storage.putMeta("config", undefined);
      }
      return;
    }
    if (this.config && compareVersions(loaded.config.version, this.config.version) < 0) return; // an older read finishing late
    this.missing = false;
    this.remember(id);
    this.config = loaded.config;
    this.storage.putMeta("config", loaded.config);
    if (!this.budgets.state) {
      // First load: D1 holds the spend written by earlier guards (or by key regeneration).
      this.budgets.state = {
        budget: { spend: loaded.spend, resetAt: loaded.budgetResetAt, duration: loaded.config.limits.budget_duration, ...(loaded.tokenSpend ? { tokens: loaded.tokenSpend } : {}) },
        models: Object.fromEntries(Object.entries("modelSpend" in loaded ? loaded.modelSpend : {}).map(([m, spend]) => [m, { spend, resetAt: null, duration: null }])),
        members: "memberSpend" in loaded ? loaded.memberSpend : {},
      };
      this.storage.putMeta("state", this.budgets.state);
    }
    this.roll();
  }
}
