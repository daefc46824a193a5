// Which guardrails run on a call, as LiteLLM decides: every `default_on` guardrail, plus the ones the
// request names (`"guardrails"` in the body or in `metadata`), plus the key's and the team's
// `guardrails` lists. A name that is not configured is a 400 (a client asking for protection must
// not get silently none); switching off a guardrail that is on by default, or that the key or team
// requires, is a 403. And GET /guardrails/list, in LiteLLM's shape.
import { GatewayError, badRequest } from "../errors";
import { requestGuardrailsSchema } from "../schema/guardrails";
import type { GuardrailSpec } from "./spec";
import type { Guardrail } from "./types";

/** The `guardrails` lists of the caller's virtual key and team (LiteLLM's key/team `guardrails`). */
export interface PrincipalGuardrails {
  key?: readonly string[];
  team?: readonly string[];
}

export interface Selection {
  /** In config order. */
  guardrails: Guardrail[];
  /** Per-request `extra_body` by guardrail name. */
  extraBody: Map<string, Record<string, unknown>>;
}

interface Requested {
  on: Map<string, Record<string, unknown> | undefined>;
  off: Set<string>;
}

function readRequested(value: unknown, where: string, into: Requested) {
  if (value === undefined || value === null) return;
  const parsed = requestGuardrailsSchema.safeParse(value);
  if (!parsed.success) throw badRequest(`${where} must be a list of guardrail names or a map of name to {"extra_body": {...}}`, where);
  const entries: [string, unknown][] = Array.isArray(parsed.data)
    ? parsed.data.flatMap((item) => (typeof item === "string" ? [[item, undefined] as [string, unknown]] : Object.entries(item)))
    : Object.entries(parsed.data);
  for (const [name, v] of entries) {
    if (v === false) into.off.add(name);
    else into.on.set(name, typeof v === "object" && v !== null ? (v as { extra_body?: Record<string, unknown> }).extra_body : undefined);
  }
}

/** The guardrail names a request asks for (body `guardrails`, or `metadata.guardrails`). */
export function requestedGuardrails(body: Record<string, unknown>): Requested {
  const requested: Requested = { on: new Map(), off: new Set() };
  readRequested(body.guardrails, "guardrails", requested);
  const metadata = body.metadata;
  if (metadata && typeof metadata === "object") readRequested((metadata as Record<string, unknown>).guardrails, "metadata.guardrails", requested);
  return requested;
}

/**
 * The body without the fields that select guardrails (`guardrails`, `metadata.guardrails`): for a body
 * sent upstream as the client wrote it (Anthropic's API refuses fields it does not know). The same
 * object when it has none.
 */
export function withoutGuardrailFields(body: Record<string, unknown>): Record<string, unknown> {
  const metadata = body.metadata as Record<string, unknown> | undefined;
  const inMetadata = !!metadata && typeof metadata === "object" && "guardrails" in metadata;
  if (!("guardrails" in body) && !inMetadata) return body;
  const { guardrails: _, ...rest } = body;
  if (inMetadata) {
    const { guardrails: _m, ...keep } = metadata;
    rest.metadata = keep;
  }
  return rest;
}

export function selectGuardrails(all: readonly Guardrail[], body: Record<string, unknown>, principal: PrincipalGuardrails = {}): Selection {
  const requested = requestedGuardrails(body);
  const byName = new Map(all.map((g) => [g.name, g]));
  const required = new Set([...(principal.key ?? []), ...(principal.team ?? [])]);
  const configured = () => (all.length ? all.map((g) => g.name).join(", ") : "none");
  for (const name of [...requested.on.keys(), ...requested.off]) {
    if (!byName.has(name)) throw badRequest(`Unknown guardrail '${name}'. Configured guardrails: ${configured()}`, "guardrails");
  }
  for (const name of required) {
    if (!byName.has(name)) throw new GatewayError(400, "bad_request", `This key requires guardrail '${name}', which is not configured. Configured guardrails: ${configured()}`, { param: "guardrails" });
  }
  for (const name of requested.off) {
    if (byName.get(name)!.defaultOn || required.has(name)) {
      throw new GatewayError(403, "permission", `Guardrail '${name}' is required for this call and cannot be turned off per request`, { param: "guardrails" });
    }
  }
  const guardrails = all.filter((g) => !requested.off.has(g.name) && (g.defaultOn || requested.on.has(g.name) || required.has(g.name)));
  const extraBody = new Map<string, Record<string, unknown>>();
  for (const [name, extra] of requested.on) if (extra) extraBody.set(name, extra);
  return { guardrails, extraBody };
}

/** GET /guardrails/list: LiteLLM's ListGuardrailsResponse, secrets masked. */
export function listGuardrails(specs: readonly GuardrailSpec[]) {
  return {
    guardrails: specs.map((s) => ({
      guardrail_id: null,
      guardrail_name: s.name,
      litellm_params: s.listParams,
      guardrail_info: s.info ?? null,
      created_at: null,
      updated_at: null,
      guardrail_definition_location: "config",
    })),
  };
}
