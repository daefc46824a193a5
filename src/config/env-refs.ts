// Every `os.environ/NAME` a config references, with where: npm start (scripts/start.ts) warns about
// the unset ones before the Worker starts, and each isolate's runtime (./runtime.ts) again, against
// the Worker's own secrets and vars. References under keys the gateway ignores (already warned
// about as such: database_url, litellm_params.tags, ...) are left out: nothing reads them.

export const ENV_PREFIX = "os.environ/";

export interface EnvReference {
  name: string;
  /** Where it is written: `model_list[1].litellm_params.api_key`. */
  path: string;
}

export function envReferences(value: unknown, path = "", out: EnvReference[] = []): EnvReference[] {
  if (typeof value === "string") {
    if (value.startsWith(ENV_PREFIX)) out.push({ name: value.slice(ENV_PREFIX.length), path });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => envReferences(item, `${path}[${i}]`, out));
  } else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) envReferences(child, path ? `${path}.${key}` : key, out);
  }
  return out;
}

/** References the gateway reads: those not under an ignored key path (`model_list[].litellm_params.tags` form). */
export function usedEnvReferences(config: unknown, ignoredKeys: readonly string[]): EnvReference[] {
  return envReferences(config).filter((ref) => {
    const path = ref.path.replace(/\[\d+\]/g, "[]");
    return !ignoredKeys.some((key) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`));
  });
}
