// The Worker's bindings (wrangler.toml) plus the secrets and vars that `os.environ/NAME` reads.
// Durable Object namespaces are untyped here: each stub is typed where it is made, by its RPC
// interface (core/guard-rpc.ts, router/edge-rpc.ts), so no class is imported outside src/index.ts.

export interface Env {
  /** Keys, teams, spend logs (D1). */
  DB: D1Database;
  /** Cache entries and cooldown state (KV). */
  KV: KVNamespace;
  /** One KeyGuard per virtual key, team and user: limits, budgets and spend (src/limits). */
  KEY_GUARD: DurableObjectNamespace;
  /** "1" only in tests: lets them move a guard's clock (budget resets, expiry). */
  ALLOW_TEST_CLOCK?: string;
  /** Per-model-group in-flight counts and rpm/tpm windows (least-busy, usage-based-routing-v2). */
  ROUTER_STATE?: DurableObjectNamespace;
  /** One McpSession per gateway MCP session (src/mcp/session-object.ts). */
  MCP_SESSIONS?: DurableObjectNamespace;
  /** The semantic cache's vectors when no Vectorize index is bound: one SemanticCacheIndex per cache namespace (src/cache/semantic). */
  CACHE_INDEX?: DurableObjectNamespace;
  /** The whole gateway's metric totals and the alerts already sent (src/observability/hub.ts). */
  OBSERVABILITY?: DurableObjectNamespace;
  /** Workers AI, when bound. */
  AI?: Ai;
  LITELLM_MASTER_KEY?: string;
  /** Set by `npm start` only (a random token per run): lets it drain the Worker before stopping (src/http/routes/lifecycle.ts). */
  GATEWAY_DRAIN_TOKEN?: string;
  /** Secrets, vars and extra bindings (Workers VPC services) referenced by name from the config. */
  [name: string]: unknown;
}
