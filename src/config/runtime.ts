// The per-isolate view of the compiled config: `os.environ/NAME` references resolved against the
// Worker's env, deployments bound to their adapters, and the model-name lookup tables. Built once
// per isolate (per env object) on the first request, then only read.
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { adapterFor } from "../providers/registry";
import type { Deployment, ModelGroup, Runtime } from "../core/provider";
import type { CompiledConfig } from "./compile";
import { buildGuardrails } from "./guardrails";
import type { LitellmParams, ModelInfo, ParsedConfig } from "../schema/config";

const ENV_PREFIX = "os.environ/";
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

function splitModel(model: string): { provider: string; id: string } {
  const slash = model.indexOf("/");
  // A bare name (LiteLLM infers the provider) is treated as OpenAI's.
  return slash < 0 ? { provider: "openai", id: model } : { provider: model.slice(0, slash), id: model.slice(slash + 1) };
}

/** Builds the deployment for a concrete upstream model string. */
function makeDeployment(modelName: string, params: LitellmParams, info: ModelInfo, id: string): Deployment {
  const split = splitModel(params.model);
  const { provider, id: model } = params.mock_response !== undefined ? { provider: "mock", id: split.id } : split;
  return { id, modelName, provider, model, params, info, adapter: adapterFor(provider) };
}

interface Pattern {
  /** The part of model_name before `*` (e.g. "anthropic/"); "" for "*". */
  prefix: string;
  suffix: string;
  entries: { params: LitellmParams; info: ModelInfo }[];
}

export function buildRuntime(compiled: CompiledConfig, env: Env): Runtime {
  const config = compiled.config;
  const lookup = envLookup(env, config);
  const groups = new Map<string, ModelGroup>();
  const patterns: Pattern[] = [];

  for (const entry of config.model_list) {
    const params = resolveDeep(entry.litellm_params, lookup);
    const info = entry.model_info ?? {};
    if (entry.model_name.includes("*")) {
      const star = entry.model_name.indexOf("*");
      const prefix = entry.model_name.slice(0, star);
      const suffix = entry.model_name.slice(star + 1);
      let pattern = patterns.find((p) => p.prefix === prefix && p.suffix === suffix);
      if (!pattern) patterns.push((pattern = { prefix, suffix, entries: [] }));
      pattern.entries.push({ params, info });
      continue;
    }
    const deployment = makeDeployment(entry.model_name, params, info, info.id!);
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
      deployments = pattern.entries.map(({ params, info }) => {
        // "*" -> the requested name itself; "openai/*" -> the matched part substituted.
        const model = params.model === "*" ? name : params.model.replace("*", matched);
        return makeDeployment(name, { ...params, model }, info, `${info.id}:${name}`);
      });
    } catch (err) {
      if (err instanceof GatewayError) return undefined; // unknown provider in the requested name
      throw err;
    }
    const group = { name, deployments };
    if (wildcardGroups.size < MAX_WILDCARD_GROUPS) wildcardGroups.set(name, group);
    return group;
  }

  const masterKey = (config.general_settings.master_key && lookup(config.general_settings.master_key)) || env.LITELLM_MASTER_KEY || undefined;

  const runtime: Runtime = {
    config,
    masterKey: typeof masterKey === "string" ? masterKey : undefined,
    createdAt: compiled.builtAt,
    patternNames: patterns.map((p) => `${p.prefix}*${p.suffix}`),
    groups,
    resolveModel,
  };
  buildGuardrails(runtime, compiled.guardrails, env);
  return runtime;
}
