// Turns a raw config.yaml object into the compiled config the Worker bundles. Runs at build/start
// time (scripts/build-config.ts) and in tests; never on the request path.
import { configSchema, type ModelEntry, type ParsedConfig } from "../schema/config";
import { PROVIDERS } from "../providers/registry";
import { EXPLAINED, explainedWarnings, unsupportedKeys } from "./support";
import { splitModel } from "../providers/infer";
import { checkMcpServers } from "./mcp";
import { describeIssues } from "../lib/zod-issues";
import { sha256Hex, stableStringify } from "../lib/sha256";
import { MAX_REQUEST_JSON_DEPTH, tooDeep } from "../lib/input-limits";
import { compileGuardrails, GuardrailConfigError, type CompileOptions } from "../guardrails/compile";
import type { CompiledGuardrails } from "../guardrails/spec";
import { cacheIssues, cacheNotice } from "./cache";
import { CACHE_BACKEND_PARAMS } from "../schema/cache";

export interface CompiledConfig {
  config: ParsedConfig;
  /** Human-readable lines printed at start: keys accepted but not acted on, and what was inferred. */
  warnings: string[];
  /** The guardrails, ready for the isolates (src/guardrails); their `notes` are printed at start like the warnings. */
  guardrails: CompiledGuardrails;
  /** Unix seconds when the config was compiled (the `created` of /v1/models). */
  builtAt: number;
  /** Key paths warned about as ignored (no os.environ/ warning for what is under them: nothing reads it). */
  ignoredKeys: string[];
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid config:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * What the build step knows besides the config: its environment (LiteLLM's default variables such as
 * LAKERA_API_KEY count when set; environment_variables are consulted after it), the files the config
 * names (blocked_words_file, read relative to the config's directory) and the YAML reader's warnings
 * (./yaml.ts, printed first). Tests compile without them.
 */
export interface CompileContext extends CompileOptions {
  readWarnings?: readonly string[];
}

/** Validates and normalises a raw config; throws ConfigError naming each bad field's path. */
export async function compileConfig(raw: unknown, context: CompileContext = {}): Promise<CompiledConfig> {
  // Every walk over the config (validation, ids, os.environ/ resolution) recurses at most this deep.
  if (tooDeep(raw, MAX_REQUEST_JSON_DEPTH)) throw new ConfigError([`the config is nested more than ${MAX_REQUEST_JSON_DEPTH} levels deep`]);
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(describeIssues(result.error));
  }
  const config = result.data;
  const issues: string[] = [];
  const inferred: string[] = [];
  const ids = new Set<string>();
  for (const [i, entry] of config.model_list.entries()) {
    const checked = await checkModelEntry(entry, `model_list[${i}].`, ids);
    issues.push(...checked.issues);
    if (checked.inferred) inferred.push(checked.inferred);
  }
  issues.push(...unknownFallbackTargets(config), ...cacheIssues(config, modelNameKnown(config)));
  const mcp = checkMcpServers(config);
  issues.push(...mcp.issues);
  let guardrails: CompiledGuardrails = { specs: [], notes: [] };
  try {
    guardrails = compileGuardrails(raw, { ...context, env: (name) => context.env?.(name) ?? config.environment_variables[name] });
  } catch (err) {
    if (!(err instanceof GuardrailConfigError)) throw err;
    issues.push(...err.issues);
  }
  if (issues.length) throw new ConfigError(issues);
  const unsupported = unsupportedKeys(raw);
  const warnings = [
    ...(context.readWarnings ?? []),
    ...explainedWarnings(raw),
    ...mcp.warnings,
    ...(inferred.length ? [`model without a provider prefix, inferred as LiteLLM does (write the prefix to be explicit): ${[...new Set(inferred)].join(", ")}`] : []),
    ...(unsupported.length ? [`config keys not supported yet (ignored): ${unsupported.join(", ")}`] : []),
  ];
  const notice = cacheNotice(config);
  if (notice) warnings.push(notice);
  const keyBudget = config.general_settings;
  if (keyBudget.max_budget !== undefined) {
    const period = keyBudget.budget_duration ? ` per ${keyBudget.budget_duration}` : "";
    warnings.push(`general_settings.max_budget (${keyBudget.max_budget} USD${period}) is read as the budget of every virtual key without a max_budget of its own (the proxy-wide budget is litellm_settings.max_budget)`);
  }
  // The cache backend's own params (a Redis host, password, ...) are never read: KV serves the cache.
  const ignoredKeys = [...unsupported, ...Object.keys(EXPLAINED), ...CACHE_BACKEND_PARAMS.map((k) => `litellm_settings.cache_params.${k}`)];
  return { config, warnings, guardrails, builtAt: Math.floor(Date.now() / 1000), ignoredKeys };
}

/**
 * What compile checks of each model_list entry, for the config's entries and for models stored at runtime
 * (src/config/stored-models.ts) alike: a provider that exists (or is inferred as LiteLLM does), and an id
 * not in `ids`. Gives the entry its id (LiteLLM's default: a stable hash of its params) and adds it to `ids`.
 * `path` prefixes the issues ("model_list[3]." here, "" for a /model/new body).
 */
export async function checkModelEntry(entry: ModelEntry, path: string, ids: Set<string>): Promise<{ issues: string[]; inferred?: string }> {
  const issues: string[] = [];
  let inferred: string | undefined;
  const model = entry.litellm_params.model;
  if (entry.litellm_params.mock_response === undefined && model !== "*" && !model.includes("*")) {
    const split = splitModel(model);
    if (!split) issues.push(`${path}litellm_params.model: expected '<provider>/<model id>', got '${model}' (no provider can be inferred from that name)`);
    else if (!PROVIDERS.includes(split.provider)) issues.push(`${path}litellm_params.model: unknown provider '${split.provider}' (supported: ${PROVIDERS.join(", ")})`);
    else if (split.inferred) inferred = `${model} -> ${split.provider}/${model}`;
  }
  const id = entry.model_info?.id ?? (await sha256Hex(stableStringify({ model_name: entry.model_name, ...entry.litellm_params })));
  if (ids.has(id)) issues.push(`${path}model_info.id: duplicate id '${id}'`);
  ids.add(id);
  entry.model_info = { ...entry.model_info, id };
  return { issues, inferred };
}

/** Whether a model name reaches a model group (exactly, by alias, or through a wildcard entry). */
function modelNameKnown(config: ParsedConfig): (name: string) => boolean {
  const names = new Set(config.model_list.map((e) => e.model_name));
  for (const alias of Object.keys(config.router_settings.model_group_alias ?? {})) names.add(alias);
  const patterns = [...names].filter((n) => n.includes("*")).map((n) => n.split("*") as [string, string]);
  return (name) => names.has(name) || patterns.some(([pre, post]) => name.startsWith(pre) && name.endsWith(post ?? ""));
}

/** Fallback lists may only name model groups that exist. */
function unknownFallbackTargets(config: ParsedConfig): string[] {
  const known = modelNameKnown(config);
  const issues: string[] = [];
  for (const section of ["router_settings", "litellm_settings"] as const) {
    for (const kind of ["fallbacks", "context_window_fallbacks", "content_policy_fallbacks"] as const) {
      config[section][kind]?.forEach((mapping, i) => {
        for (const [from, targets] of Object.entries(mapping)) {
          targets.forEach((target, j) => {
            if (!known(target)) issues.push(`${section}.${kind}[${i}].${from}[${j}]: no model_list entry is named '${target}'`);
          });
        }
      });
    }
    config[section].default_fallbacks?.forEach((target, j) => {
      if (!known(target)) issues.push(`${section}.default_fallbacks[${j}]: no model_list entry is named '${target}'`);
    });
  }
  const fallbackModel = config.router_settings.fallback_model;
  if (fallbackModel && !known(fallbackModel)) issues.push(`router_settings.fallback_model: no model_list entry is named '${fallbackModel}'`);
  return issues;
}
