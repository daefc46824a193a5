// What of LiteLLM's config this gateway does not do (yet). `npm start` and `wrangler deploy` print
// them at start: keys with no meaning on Workers one line each, saying why; keys not built yet in one
// line. They are never fatal and never silently ignored.
import type { z } from "zod";
import { configSchema } from "../schema/config";

/**
 * Keys the schema knows (so they are typed and validated) but no code acts on yet.
 * Remove a path from here in the same commit that makes it work. `model_list[].` paths apply to every entry.
 */
export const NOT_YET_IMPLEMENTED = new Set<string>([
  "litellm_settings.cache",
  "litellm_settings.cache_params",
  "litellm_settings.success_callback",
  "litellm_settings.failure_callback",
  "litellm_settings.callbacks",
  "litellm_settings.turn_off_message_logging",
  "litellm_settings.max_budget",
  "litellm_settings.budget_duration",
  "general_settings.global_max_parallel_requests",
  "model_list[].litellm_params.max_retries",
  "model_list[].litellm_params.tags",
]);

/** Keys that have no meaning on Workers, or wait for a later issue: one line each, saying why. */
export const EXPLAINED: Readonly<Record<string, string>> = {
  "general_settings.database_url":
    "general_settings.database_url is not needed on Workers: keys, teams, users and spend live in D1 (the DB binding in wrangler.toml); ignored",
  "general_settings.alerting": "general_settings.alerting (Slack/webhook alerts) is not supported yet; ignored",
  "general_settings.alerting_threshold": "general_settings.alerting_threshold is not supported yet (it goes with alerting); ignored",
  "litellm_settings.set_verbose":
    "litellm_settings.set_verbose has no meaning on Workers: every failed upstream call is logged already; follow the logs with `wrangler tail` (or the terminal running npm start); ignored",
};

/** One line per `mcp_servers` entry: stdio servers (`command`) cannot run on Workers; `url` servers are not served yet. */
export function mcpServerWarnings(servers: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  const later: string[] = [];
  for (const [name, server] of Object.entries(servers ?? {})) {
    const command = server && typeof server === "object" ? (server as Record<string, unknown>).command : undefined;
    if (command !== undefined) {
      out.push(`mcp_servers.${name}: stdio MCP servers (command: ${String(command)}) cannot run on Workers (a Worker cannot start processes): run it behind an HTTP MCP endpoint and give its url instead; ignored`);
    } else later.push(name);
  }
  if (later.length) out.push(`mcp_servers (${later.join(", ")}): MCP servers are not served yet; ignored`);
  return out;
}

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

/** Every key path in the raw config that this gateway does not act on, deduplicated across model_list entries. */
export function unsupportedKeys(raw: unknown): string[] {
  const out = new Set<string>();
  walk(raw, configSchema, "", out);
  return [...out];
}
