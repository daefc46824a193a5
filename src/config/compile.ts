// Turns a raw config.yaml object into the compiled config the Worker bundles. Runs at build/start
// time (scripts/build-config.ts) and in tests; never on the request path.
import { configSchema, type ParsedConfig } from "../schema/config";
import { PROVIDERS } from "../providers/registry";
import { EXPLAINED, explainedWarnings, mcpServerWarnings, unsupportedKeys } from "./support";
import { splitModel } from "../providers/infer";
import { describeIssues } from "../lib/zod-issues";
import { sha256Hex, stableStringify } from "../lib/sha256";

export interface CompiledConfig {
  config: ParsedConfig;
  /** Human-readable lines printed at start: keys accepted but not acted on, and what was inferred. */
  warnings: string[];
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
 * Validates and normalises a raw config; throws ConfigError naming each bad field's path.
 * `readWarnings` are the YAML reader's (./yaml.ts), printed first.
 */
export async function compileConfig(raw: unknown, readWarnings: readonly string[] = []): Promise<CompiledConfig> {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(describeIssues(result.error));
  }
  const config = result.data;
  const issues: string[] = [];
  const inferred: string[] = [];
  const ids = new Set<string>();
  for (const [i, entry] of config.model_list.entries()) {
    const model = entry.litellm_params.model;
    if (entry.litellm_params.mock_response === undefined && model !== "*" && !model.includes("*")) {
      const split = splitModel(model);
      if (!split) issues.push(`model_list[${i}].litellm_params.model: expected '<provider>/<model id>', got '${model}' (no provider can be inferred from that name)`);
      else if (!PROVIDERS.includes(split.provider)) issues.push(`model_list[${i}].litellm_params.model: unknown provider '${split.provider}' (supported: ${PROVIDERS.join(", ")})`);
      else if (split.inferred) inferred.push(`${model} -> ${split.provider}/${model}`);
    }
    // LiteLLM's default deployment id: a stable hash of the deployment's params.
    const id = entry.model_info?.id ?? (await sha256Hex(stableStringify({ model_name: entry.model_name, ...entry.litellm_params })));
    if (ids.has(id)) issues.push(`model_list[${i}].model_info.id: duplicate id '${id}'`);
    ids.add(id);
    entry.model_info = { ...entry.model_info, id };
  }
  issues.push(...unknownFallbackTargets(config));
  if (issues.length) throw new ConfigError(issues);
  const unsupported = unsupportedKeys(raw);
  const warnings = [
    ...readWarnings,
    ...explainedWarnings(raw),
    ...mcpServerWarnings(config.mcp_servers),
    ...(inferred.length ? [`model without a provider prefix, inferred as LiteLLM does (write the prefix to be explicit): ${[...new Set(inferred)].join(", ")}`] : []),
    ...(unsupported.length ? [`config keys not supported yet (ignored): ${unsupported.join(", ")}`] : []),
  ];
  const ignoredKeys = [...unsupported, ...Object.keys(EXPLAINED), "mcp_servers"];
  return { config, warnings, builtAt: Math.floor(Date.now() / 1000), ignoredKeys };
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
  const fallbackModel = config.router_settings.fallback_model;
  if (fallbackModel && !known(fallbackModel)) issues.push(`router_settings.fallback_model: no model_list entry is named '${fallbackModel}'`);
  return issues;
}
