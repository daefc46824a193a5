// The Worker's bindings (wrangler.toml) plus the secrets and vars that `os.environ/NAME` reads.
import type { RouterState } from "./router/router-state";

export interface Env {
  /** Keys, teams, spend logs (D1). */
  DB: D1Database;
  /** Cache entries and cooldown state (KV). */
  KV: KVNamespace;
  /** One KeyGuard per virtual key, team and user: limits, budgets and spend (src/limits). */
  KEY_GUARD: DurableObjectNamespace<import("./limits/guard").KeyGuard>;
  /** "1" only in tests: lets them move a guard's clock (budget resets, expiry). */
  ALLOW_TEST_CLOCK?: string;
  /** Per-model-group in-flight counts and rpm/tpm windows (least-busy, usage-based-routing-v2). */
  ROUTER_STATE?: DurableObjectNamespace<RouterState>;
  /** Workers AI, when bound. */
  AI?: Ai;
  LITELLM_MASTER_KEY?: string;
  /** Secrets, vars and extra bindings (Workers VPC services) referenced by name from the config. */
  [name: string]: unknown;
}
