// What the UI's Models and Settings pages show that no LiteLLM route gives: every deployment with
// its effective price, limits and cooldown, and the running config with its secrets masked.
import type { Deployment, Runtime } from "../core/provider";
import type { Env } from "../env";
import type { Principal } from "../core/principal";
import { mayUse } from "../core/principal";
import { routerFor } from "../router";
import { publicParams } from "../config/public-params";
import { priceBook, priceOf } from "../spend/prices";

const FREE_PROVIDERS = new Set(["ollama", "ollama_chat", "lm_studio", "hosted_vllm", "mock"]);

/** Where a deployment's price comes from (the order of src/spend/prices.ts). */
function priceSource(d: Deployment, known: boolean): string {
  const set = (v: unknown) => v !== undefined;
  if (set(d.params.input_cost_per_token) || set(d.params.output_cost_per_token) || set(d.info.input_cost_per_token) || set(d.info.output_cost_per_token)) return "config";
  if (FREE_PROVIDERS.has(d.provider)) return "free (local)";
  return known ? "price table" : "unknown";
}

/** Every deployment the principal may use, config order, with price, limits and cooldown state. */
export async function deploymentsView(runtime: Runtime, env: Env, principal: Principal) {
  const router = routerFor(runtime, env);
  const book = await priceBook(env);
  const groups = [...runtime.groups.values()].filter((g) => mayUse(principal, g));
  // The same KV read the router does before routing: other isolates' cooldowns too.
  await Promise.all(groups.map((g) => router.cooldowns.refresh(g.deployments)));
  const data = groups.flatMap((g) =>
    g.deployments.map((d) => {
      const price = priceOf(d, book);
      const cooldown = router.cooldowns.get(d.id);
      const params = publicParams(d.params);
      return {
        model_name: d.modelName,
        model_id: d.id,
        provider: d.provider,
        model: d.model,
        api_base: params.api_base ?? null,
        mode: d.info.mode ?? "chat",
        price: {
          input_cost_per_token: price?.input ?? null,
          output_cost_per_token: price?.output ?? null,
          cache_read_input_token_cost: price?.cacheRead ?? null,
          source: priceSource(d, price !== undefined),
        },
        limits: {
          rpm: d.params.rpm ?? null,
          tpm: d.params.tpm ?? null,
          max_parallel_requests: d.params.max_parallel_requests ?? null,
          timeout: d.params.timeout ?? null,
        },
        max_input_tokens: d.info.max_input_tokens ?? price?.maxInputTokens ?? null,
        max_output_tokens: d.info.max_output_tokens ?? price?.maxOutputTokens ?? null,
        access_groups: d.info.access_groups ?? [],
        cooldown: cooldown ? { until: new Date(cooldown.until).toISOString(), status: cooldown.status, reason: cooldown.reason } : null,
        litellm_params: maskValue(params, false),
        model_info: d.info,
        /** Where the deployment is defined: config.yaml, or stored at runtime (/model/new: "db", as LiteLLM's UI says). */
        source: d.info.db_model === true ? "db" : "config",
      };
    }),
  );
  return { data, wildcard_patterns: runtime.patternNames, routing_strategy: router.settings.strategy, store_model_in_db: runtime.newest !== undefined };
}

/** api_key, master_key, aws_access_key_id, aws_secret_access_key, azure_ad_token, vertex_credentials, UI_PASSWORD ... (not input_cost_per_token). */
const secretName = (k: string) => /(key|key_id|secret|password|passwd|credentials?|token)$/i.test(k) && !/per_token$/i.test(k);
/** A value that looks like a secret whatever it is called: a key, a JWT, a URL with a password. */
const SECRET_VALUE = /^(sk|pk|rk)-[A-Za-z0-9_\-.]{12,}|^AKIA[0-9A-Z]{12,}|^ey[A-Za-z0-9_-]{20,}\.|^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/;
export const MASK = "********";

function maskValue(value: unknown, secret: boolean): unknown {
  if (typeof value === "string") {
    if (value.startsWith("os.environ/")) return value; // a name, not a secret
    return secret || SECRET_VALUE.test(value) ? MASK : value;
  }
  if (Array.isArray(value)) return value.map((v) => maskValue(v, secret));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, maskValue(v, secret || secretName(k) || k === "extra_headers" || k === "environment_variables")]),
    );
  }
  return value;
}

/** The running config, every secret masked (values referencing os.environ/NAME show the name). */
export function maskedConfig(runtime: Runtime) {
  return maskValue(runtime.config, false) as Record<string, unknown>;
}
