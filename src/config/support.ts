// What of LiteLLM's config this gateway does not do (yet). `npm start` and `wrangler deploy` print
// them at start: keys with no meaning on Workers one line each, saying why; keys not built yet in one
// line. They are never fatal and never silently ignored.
import type { z } from "zod";
import { configSchema } from "../schema/config";
import { ALERTS_SENT, CALLBACKS } from "../schema/observability";

/**
 * Keys the schema knows (so they are typed and validated) but no code acts on yet.
 * Remove a path from here in the same commit that makes it work. `model_list[].` paths apply to every entry.
 */
export const NOT_YET_IMPLEMENTED = new Set<string>([
  "general_settings.database_url",
  "general_settings.global_max_parallel_requests",
  "model_list[].litellm_params.max_retries",
  "model_list[].litellm_params.tags",
]);

/** Keys that have no meaning on Workers, or wait for a later issue: one line each, saying why. */
export const EXPLAINED: Readonly<Record<string, string>> = {
  "general_settings.database_url":
    "general_settings.database_url is not needed on Workers: keys, teams, users and spend live in D1 (the DB binding in wrangler.toml); ignored",
  "litellm_settings.set_verbose":
    "litellm_settings.set_verbose has no meaning on Workers: every failed upstream call is logged already; follow the logs with `wrangler tail` (or the terminal running npm start); ignored",
};

/** The EXPLAINED lines for the keys this raw config has. */
export function explainedWarnings(raw: unknown): string[] {
  const out: string[] = [];
  for (const [path, message] of Object.entries(EXPLAINED)) {
    const [section, key] = path.split(".");
    const value = (raw as Record<string, Record<string, unknown> | undefined> | undefined)?.[section]?.[key];
    if (value !== undefined) out.push(message);
  }
  return out;
}

type AnySchema = z.ZodType;

/** The object shape behind optional/default/nullable wrappers, or undefined for non-objects. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema as AnySchema & { _zod: { def: { type: string; innerType?: AnySchema } } };
  while (s._zod.def.innerType && ["optional", "default", "nullable", "pipe", "prefault"].includes(s._zod.def.type)) {
    s = s._zod.def.innerType as typeof s;
  }
  return s;
}

function walk(value: unknown, schema: AnySchema, path: string, out: Set<string>): void {
  const s = unwrap(schema) as AnySchema & { _zod: { def: { type: string; shape?: Record<string, AnySchema>; element?: AnySchema } } };
  const def = s._zod.def;
  if (def.type === "object" && def.shape && value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      const childSchema = def.shape[key];
      if (childPath in EXPLAINED || childPath === "mcp_servers") continue;
      if (!childSchema) out.add(childPath);
      else if (NOT_YET_IMPLEMENTED.has(childPath)) out.add(childPath);
      else walk(child, childSchema, childPath, out);
    }
  } else if (def.type === "array" && def.element && Array.isArray(value)) {
    for (const item of value) walk(item, def.element, `${path}[]`, out);
  }
}

type Section = Record<string, unknown> | undefined;

/** Values of known keys that name what this gateway does not do: callbacks, alerting channels, alert types. */
function unsupportedValues(raw: unknown, out: Set<string>): void {
  const config = (raw ?? {}) as Record<string, Section>;
  const settings = config.litellm_settings;
  const general = config.general_settings;
  const generic = new Set(Object.keys(config.callback_settings ?? {}));
  const known = new Set<string>(CALLBACKS);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  for (const key of ["callbacks", "success_callback", "failure_callback"]) {
    for (const name of list(settings?.[key])) if (!known.has(name) && !generic.has(name)) out.add(`litellm_settings.${key}: ${name}`);
  }
  for (const channel of list(general?.alerting)) if (channel !== "slack") out.add(`general_settings.alerting: ${channel}`);
  for (const type of list(general?.alert_types)) if (!(ALERTS_SENT as readonly string[]).includes(type)) out.add(`general_settings.alert_types: ${type}`);
}

/** Every key path in the raw config that this gateway does not act on, deduplicated across model_list entries. */
export function unsupportedKeys(raw: unknown): string[] {
  const out = new Set<string>();
  walk(raw, configSchema, "", out);
  unsupportedValues(raw, out);
  return [...out];
}
