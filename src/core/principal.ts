// Who is calling, and the one rule for which model groups a caller may use. The auth middleware sets a
// principal on every authenticated request.
import { GatewayError } from "../errors";
import type { KeyConfig } from "./guard-rpc";
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

/** Whether a model list (a key's `models`; empty = all) allows any of `names` (a group's name and access groups). */
export function mayUseNames(allowed: readonly string[] | undefined, names: readonly string[]): boolean {
  if (!allowed || allowed.length === 0) return true;
  if (allowed.includes("*") || allowed.includes("all-proxy-models")) return true;
  return names.some((n) => allowed.includes(n));
}

const accessNames = new WeakMap<ModelGroup, string[]>();

/** The names that give access to a group: its own and its deployments' access groups (made once per group). */
export function accessOf(group: ModelGroup): string[] {
  let names = accessNames.get(group);
  if (!names) {
    names = [...new Set([group.name, ...group.deployments.flatMap((d) => d.info.access_groups ?? [])])];
    accessNames.set(group, names);
  }
  return names;
}

/** Whether the caller may use a model group: by name, `*` / `all-proxy-models`, or an access group of one of its deployments. */
export function mayUse(principal: Principal, group: ModelGroup): boolean {
  return !principal.models?.length || mayUseNames(principal.models, accessOf(group));
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
