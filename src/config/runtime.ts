// The per-isolate view of the compiled config: `os.environ/NAME` references resolved against the
// Worker's env, deployments bound to their adapters, and the model-name lookup tables. Built once
// per isolate (per env object) on the first request, then only read. A name the config references
// but neither the env nor environment_variables has is said once per isolate, and a deployment
// needing it fails with a message naming it: never a silent fall back to another credential.
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { adapterFor } from "../providers/registry";
import { splitModel } from "../providers/infer";
import { ENV_PREFIX, usedEnvReferences } from "./env-refs";
import type { Deployment, ModelGroup, Runtime } from "../core/provider";
import type { CompiledConfig } from "./compile";
import type { LitellmParams, ModelInfo, ParsedConfig } from "../schema/config";

const DEFAULT_MAX_BODY_MB = 4;

/** The largest request body accepted (general_settings.max_request_size_mb). */
export const maxBodyBytes = (runtime: Runtime) => (runtime.config.general_settings.max_request_size_mb ?? DEFAULT_MAX_BODY_MB) * 1024 * 1024;

/** The model group for a requested name, or LiteLLM's 400. */
export function resolveGroup(runtime: Runtime, model: string): ModelGroup {
  const group = runtime.resolveModel(model);
  if (!group) {
    throw new GatewayError(
      400,
      "bad_request",
      `Invalid model name passed in model=${model}. Call \`/v1/models\` to view available models for your key.`,
      { param: "model" },
    );
  }
  return group;
}

/** Reads `os.environ/NAME` from the env (secrets/vars), else config.environment_variables. */
export function envLookup(env: Env, config: ParsedConfig) {
  return (value: string): string | undefined => {
    if (!value.startsWith(ENV_PREFIX)) return value;
    const name = value.slice(ENV_PREFIX.length);
    const fromEnv = env[name];
    return typeof fromEnv === "string" ? fromEnv : config.environment_variables[name];
  };
}

/** Why a deployment cannot be called: the os.environ/ names its litellm_params need that are not set. */
function unsetMessage(modelName: string, unset: { name: string; path: string }[]): string {
  const list = unset.map((u) => `${u.path} is os.environ/${u.name}`).join(", ");
  const names = [...new Set(unset.map((u) => u.name))].join(", ");
  return `deployment of model=${modelName} cannot be called: ${list}, which is not set (set ${names} with \`wrangler secret put\`, or in the shell / .dev.vars for npm start)`;
}

function resolveDeep<T>(value: T, lookup: (v: string) => string | undefined): T {
  if (typeof value === "string") return lookup(value) as T;
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, lookup)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = resolveDeep(v, lookup);
      if (resolved !== undefined) out[k] = resolved;
    }
    return out as T;
  }
  return value;
}

/** Builds the deployment for a concrete upstream model string (a bare name gets the provider LiteLLM would infer). */
function makeDeployment(modelName: string, params: LitellmParams, info: ModelInfo, id: string, misconfigured?: string): Deployment {
  const split = splitModel(params.model) ?? { provider: "openai", id: params.model };
  const { provider, id: model } = params.mock_response !== undefined ? { provider: "mock", id: split.id } : split;
  const adapter = adapterFor(provider);
  return { id, modelName, provider, model, params, info, adapter: adapter.variant?.(model) ?? adapter, misconfigured };
}

interface Pattern {
  /** The part of model_name before `*` (e.g. "anthropic/"); "" for "*". */
  prefix: string;
  suffix: string;
  entries: { params: LitellmParams; info: ModelInfo; misconfigured?: string }[];
}

export function buildRuntime(compiled: CompiledConfig, env: Env): Runtime {
  const config = compiled.config;
  const lookup = envLookup(env, config);
  const groups = new Map<string, ModelGroup>();
  const patterns: Pattern[] = [];
  const unset = usedEnvReferences(config, compiled.ignoredKeys ?? []).filter((ref) => lookup(ENV_PREFIX + ref.name) === undefined);
  for (const ref of unset) console.warn(`[gateway] warning: ${ref.path} is os.environ/${ref.name}, which is not set (wrangler secret put ${ref.name})`);

  for (const [i, entry] of config.model_list.entries()) {
    const params = resolveDeep(entry.litellm_params, lookup);
    const missing = unset.filter((ref) => ref.path.startsWith(`model_list[${i}].`)).map((ref) => ({ name: ref.name, path: ref.path.slice(`model_list[${i}].`.length) }));
    const misconfigured = missing.length ? unsetMessage(entry.model_name, missing) : undefined;
    const info = entry.model_info ?? {};
    if (entry.model_name.includes("*")) {
      const star = entry.model_name.indexOf("*");
      const prefix = entry.model_name.slice(0, star);
      const suffix = entry.model_name.slice(star + 1);
      let pattern = patterns.find((p) => p.prefix === prefix && p.suffix === suffix);
      if (!pattern) patterns.push((pattern = { prefix, suffix, entries: [] }));
      pattern.entries.push({ params, info, misconfigured });
      continue;
    }
    const deployment = makeDeployment(entry.model_name, params, info, info.id!, misconfigured);
    const group = groups.get(entry.model_name);
    groups.set(entry.model_name, { name: entry.model_name, deployments: [...(group?.deployments ?? []), deployment] });
  }
  // Most specific pattern first: "openai/gpt-4*" beats "openai/*" beats "*".
  patterns.sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));

  const aliases = new Map<string, string>();
  for (const [alias, target] of Object.entries(config.router_settings.model_group_alias ?? {})) {
    aliases.set(alias, typeof target === "string" ? target : target.model);
  }

  // Wildcard groups are made on first use and kept (bounded: one per distinct requested name).
  const wildcardGroups = new Map<string, ModelGroup>();
  const MAX_WILDCARD_GROUPS = 1000;

  function resolveModel(name: string): ModelGroup | undefined {
    const exact = groups.get(name) ?? groups.get(aliases.get(name) ?? "");
    if (exact) return exact;
    const cached = wildcardGroups.get(name);
    if (cached) return cached;
    const pattern = patterns.find((p) => name.length >= p.prefix.length + p.suffix.length && name.startsWith(p.prefix) && name.endsWith(p.suffix));
    if (!pattern) return undefined;
    const matched = name.slice(pattern.prefix.length, name.length - pattern.suffix.length);
    let deployments: Deployment[];
    try {
      deployments = pattern.entries.map(({ params, info, misconfigured }) => {
        // "*" -> the requested name itself; "openai/*" -> the matched part substituted.
        const model = params.model === "*" ? name : params.model.replace("*", matched);
        return makeDeployment(name, { ...params, model }, info, `${info.id}:${name}`, misconfigured);
      });
    } catch (err) {
      if (err instanceof GatewayError) return undefined; // unknown provider in the requested name
      throw err;
    }
    const group = { name, deployments };
    if (wildcardGroups.size < MAX_WILDCARD_GROUPS) wildcardGroups.set(name, group);
    return group;
  }

  // The key the config names, else LITELLM_MASTER_KEY when it names none; a named one that is not set is
  // not replaced by another (it was said above; npm start says loudly that the gateway is then open).
  const named = config.general_settings.master_key;
  const masterKey = named !== undefined ? lookup(named) : env.LITELLM_MASTER_KEY;

  return {
    config,
    masterKey: typeof masterKey === "string" ? masterKey : undefined,
    createdAt: compiled.builtAt,
    patternNames: patterns.map((p) => `${p.prefix}*${p.suffix}`),
    groups,
    resolveModel,
  };
}
