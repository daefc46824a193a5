// Turns a raw config.yaml object into the compiled config the Worker bundles. Runs at build/start
// time (scripts/build-config.ts) and in tests; never on the request path.
import { configSchema, type ParsedConfig } from "../schema/config";
import { PROVIDERS } from "../providers/registry";
import { unsupportedKeys } from "./support";
import { describeIssues } from "../lib/zod-issues";
import { sha256Hex, stableStringify } from "../lib/sha256";
import { cacheIssues, cacheNotice } from "./cache";

export interface CompiledConfig {
  config: ParsedConfig;
  /** Human-readable lines about keys that are accepted but not acted on. */
  warnings: string[];
  /** Unix seconds when the config was compiled (the `created` of /v1/models). */
  builtAt: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid config:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Validates and normalises a raw config; throws ConfigError naming each bad field's path. */
export async function compileConfig(raw: unknown): Promise<CompiledConfig> {
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
  issues.push(...unknownFallbackTargets(config), ...cacheIssues(config, modelNameKnown(config)));
  if (issues.length) throw new ConfigError(issues);
  const unsupported = unsupportedKeys(raw);
  const warnings = unsupported.length ? [`config keys not supported yet (ignored): ${unsupported.join(", ")}`] : [];
  const notice = cacheNotice(config);
  if (notice) warnings.push(notice);
  return { config, warnings, builtAt: Math.floor(Date.now() / 1000) };
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
  return issues;
}
