// Who is calling, and the one rule for which model groups a caller may use. The auth middleware sets a
// principal on every authenticated request.
import { GatewayError } from "../errors";
import type { KeyConfig, ModelAccess } from "./guard-rpc";
import type { ModelGroup } from "./provider";

export interface Principal {
  kind: "master" | "open" | "virtual_key";
  /** Model names / access groups this caller may use; undefined or empty = all. */
  models?: readonly string[];
  /** SHA-256 of the caller's key: spend is logged under it. Unset in open mode. */
  token?: string;
  /** A virtual key's settings, as its KeyGuard last confirmed them. */
  key?: KeyConfig;
  /** The virtual key's metadata (LiteLLM reads switches like disable_fallbacks from it). */
  metadata?: Record<string, unknown>;
}

export const MASTER: Principal = { kind: "master" };
/** No master key configured: local use only, everything allowed. */
export const OPEN: Principal = { kind: "open" };

/**
 * LiteLLM's wildcard entries in a models list: `*` stands for any run of characters ("openai/*",
 * "claude-*", "*"). Matched piece by piece, no regex (a key's list is data, not code).
 */
export function modelPatternMatches(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const parts = pattern.split("*");
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = name.indexOf(parts[i], at);
    if (found < 0 || found + parts[i].length > end) return false;
    at = found + parts[i].length;
  }
  return true;
}

/**
 * Whether a model list (a key's `models`; empty = all) allows a group: by name, `*` / `all-proxy-models`,
 * an access group, or a wildcard entry (LiteLLM's): "openai/*" allows a group "gpt-4o" served by openai/gpt-4o.
 */
export function mayAccess(allowed: readonly string[] | undefined, access: ModelAccess): boolean {
  if (!allowed || allowed.length === 0) return true;
  if (allowed.includes("*") || allowed.includes("all-proxy-models")) return true;
  for (const entry of allowed) {
    if (!entry.includes("*")) {
      if (access.names.includes(entry)) return true;
    } else if (modelPatternMatches(entry, access.names[0]) || (access.models.length > 0 && access.models.every((m) => modelPatternMatches(entry, m)))) {
      return true;
    }
  }
  return false;
}

const accessCache = new WeakMap<ModelGroup, ModelAccess>();

/** A group's access names and deployment models (made once per group). */
export function accessOf(group: ModelGroup): ModelAccess {
  let access = accessCache.get(group);
  if (!access) {
    const names = [...new Set([group.name, ...group.deployments.flatMap((d) => d.info.access_groups ?? [])])];
    access = { names, models: group.deployments.map((d) => d.params.model) };
    accessCache.set(group, access);
  }
  return access;
}

/** Whether the caller may use a model group (see mayAccess). */
export function mayUse(principal: Principal, group: ModelGroup): boolean {
  return !principal.models?.length || mayAccess(principal.models, accessOf(group));
}

/** LiteLLM's 403 when a key's model list does not cover the requested model. */
export function modelAccessDenied(principal: Principal, group: ModelGroup): GatewayError {
  return new GatewayError(
    403,
    "permission",
    `key not allowed to access model. This key can only access models=${JSON.stringify(principal.models)}. Tried to access ${group.name}`,
    { type: "key_model_access_denied", param: "model" },
  );
}
