// Which model groups to fall back to after a group has failed (its retries included), LiteLLM's
// way: a context-window error uses context_window_fallbacks, a content-policy error
// content_policy_fallbacks (each when it has a list for the group), anything else the request's
// own `fallbacks`, else the configured `fallbacks` (the group's entry, else "*" / default_fallbacks).
// At most max_fallbacks groups, each tried once in order with its own retries.
import type { LlmCall, LlmRequest } from "../core/call";
import { ENDPOINTS } from "../core/endpoints";
import type { GatewayError } from "../errors";
import { GATEWAY_PARAMS } from "../schema/openai";
import { modelNameProblem } from "../lib/input-limits";
import { fallbackList } from "./router";
import type { RouterSettings } from "./settings";

export interface FallbackTarget {
  model: string;
  /** Body for this fallback when the request's entry was `{"model": ..., <params to change>}`. */
  body?: LlmRequest["body"];
  /** Named by the client (body `fallbacks`), so the key must be allowed to use it. */
  fromRequest: boolean;
  /** Why the target cannot be used, reported with the final error. */
  invalid?: string;
}

/** Params a fallback entry may not change: how the answer is delivered was settled by the original request. */
const FIXED = new Set(["model", "stream", "stream_options", ...GATEWAY_PARAMS]);

/** `{"model": "x", "messages": [...]}`: group x with those params changed (validated like a request). */
function withOverrides(call: LlmCall, entry: Record<string, unknown>): FallbackTarget {
  const model = String(entry.model);
  const body: Record<string, unknown> = { ...call.request.body };
  for (const [k, v] of Object.entries(entry)) if (!FIXED.has(k)) body[k] = v;
  const parsed = ENDPOINTS[call.request.endpoint].schema.safeParse(body);
  if (!parsed.success) return { model, fromRequest: true, invalid: `invalid fallback params: ${parsed.error.issues[0]?.message}` };
  return { model, body: parsed.data as LlmRequest["body"], fromRequest: true };
}

/** The request's `fallbacks`: model names, `{"model": ...}` entries, or LiteLLM's `{group: [names]}` entries. */
function requestFallbacks(call: LlmCall, group: string): FallbackTarget[] | undefined {
  const list = call.request.body.fallbacks;
  if (!list?.length) return undefined;
  const out: FallbackTarget[] = [];
  for (const entry of list) {
    if (typeof entry === "string") out.push({ model: entry, fromRequest: true });
    else if (typeof entry.model === "string") out.push(withOverrides(call, entry));
    else {
      const names = entry[group] ?? entry["*"];
      // Names in LiteLLM's `{group: [names]}` form are not checked by the request schema: check them here.
      if (Array.isArray(names)) for (const n of names) if (typeof n === "string") out.push({ model: n, fromRequest: true, invalid: modelNameProblem(n) });
    }
  }
  return out;
}

export function fallbackTargets(settings: RouterSettings, call: LlmCall, group: string, error: GatewayError): FallbackTarget[] {
  const specific =
    error.kind === "context_window" ? settings.contextWindowFallbacks : error.kind === "content_policy" ? settings.contentPolicyFallbacks : undefined;
  const configured = (names: readonly string[] | undefined) => names?.map((model) => ({ model, fromRequest: false }));
  const targets =
    configured(specific && fallbackList(specific, group)) ?? requestFallbacks(call, group) ?? configured(fallbackList(settings.fallbacks, group)) ?? [];
  const seen = new Set([group]);
  return targets.filter((t) => !seen.has(t.model) && seen.add(t.model)).slice(0, settings.maxFallbacks);
}

/** LiteLLM's per-request and per-key switches: `disable_fallbacks` in the body, or in body/key metadata. */
export function fallbacksDisabled(call: LlmCall): boolean {
  const body = call.request.body;
  const keyMetadata = (call.principal as { metadata?: Record<string, unknown> }).metadata;
  return body.disable_fallbacks === true || body.metadata?.disable_fallbacks === true || keyMetadata?.disable_fallbacks === true;
}
