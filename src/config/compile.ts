// Turns a raw config.yaml object into the compiled config the Worker bundles. Runs at build/start
// time (scripts/build-config.ts) and in tests; never on the request path.
import { configSchema, type ParsedConfig } from "../schema/config";
import { PROVIDERS } from "../providers/registry";
import { unsupportedKeys } from "./support";
import { describeIssues } from "../lib/zod-issues";
import { sha256Hex, stableStringify } from "../lib/sha256";
import { compileGuardrails, GuardrailConfigError, type CompileOptions } from "../guardrails/compile";
import type { CompiledGuardrails } from "../guardrails/spec";

export interface CompiledConfig {
  config: ParsedConfig;
  /** Human-readable lines about keys that are accepted but not acted on. */
  warnings: string[];
  /** The guardrails, ready for the isolates (src/guardrails); their `notes` are printed at start like the warnings. */
  guardrails: CompiledGuardrails;
  /** Unix seconds when the config was compiled (the `created` of /v1/models). */
  builtAt: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid config:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * What the build step knows besides the config: its environment (LiteLLM's default variables such as
 * LAKERA_API_KEY count when set; environment_variables are consulted after it) and the files the config
 * names (blocked_words_file, read relative to the config's directory). Tests compile without either.
 */
export type CompileContext = CompileOptions;

/** Validates and normalises a raw config; throws ConfigError naming each bad field's path. */
export async function compileConfig(raw: unknown, context: CompileContext = {}): Promise<CompiledConfig> {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(describeIssues(result.error));
  }
  const config = result.data;
  const issues: string[] = [];
  const ids = new Set<string>();
  for (const [i, entry] of config.model_list.entries()) {
    const model = entry.litellm_params.model;
    const provider = model.slice(0, model.indexOf("/"));
    if (entry.litellm_params.mock_response === undefined && model !== "*" && !model.includes("*")) {
      if (!model.includes("/")) issues.push(`model_list[${i}].litellm_params.model: expected '<provider>/<model id>', got '${model}'`);
      else if (!PROVIDERS.includes(provider)) issues.push(`model_list[${i}].litellm_params.model: unknown provider '${provider}' (supported: ${PROVIDERS.join(", ")})`);
    }
    // LiteLLM's default deployment id: a stable hash of the deployment's params.
    const id = entry.model_info?.id ?? (await sha256Hex(stableStringify({ model_name: entry.model_name, ...entry.litellm_params })));
    if (ids.has(id)) issues.push(`model_list[${i}].model_info.id: duplicate id '${id}'`);
    ids.add(id);
    entry.model_info = { ...entry.model_info, id };
  }
  issues.push(...unknownFallbackTargets(config));
  let guardrails: CompiledGuardrails = { specs: [], notes: [] };
  try {
    guardrails = compileGuardrails(raw, { ...context, env: (name) => context.env?.(name) ?? config.environment_variables[name] });
  } catch (err) {
    if (!(err instanceof GuardrailConfigError)) throw err;
    issues.push(...err.issues);
  }
  if (issues.length) throw new ConfigError(issues);
  const unsupported = unsupportedKeys(raw);
  const warnings = unsupported.length ? [`config keys not supported yet (ignored): ${unsupported.join(", ")}`] : [];
  return { config, warnings, guardrails, builtAt: Math.floor(Date.now() / 1000) };
}

/** Fallback lists may only name model groups that exist (exactly, by alias, or through a wildcard entry). */
function unknownFallbackTargets(config: ParsedConfig): string[] {
  const names = new Set(config.model_list.map((e) => e.model_name));
  for (const alias of Object.keys(config.router_settings.model_group_alias ?? {})) names.add(alias);
  const patterns = [...names].filter((n) => n.includes("*")).map((n) => n.split("*") as [string, string]);
  const known = (name: string) => names.has(name) || patterns.some(([pre, post]) => name.startsWith(pre) && name.endsWith(post ?? ""));
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
  return issues;
}
