// What isolates and the RouterState Durable Objects (./router-state.ts) say to each other, and
// `routerStateFor`, the one place their stubs are made (the class itself is imported only by src/index.ts).
import type { MinuteCount } from "./minute-counters";

export type EdgeStrategy = "least-busy" | "usage-based-routing-v2";

export interface EdgeCandidate {
  id: string;
  rpm?: number;
  tpm?: number;
  /** litellm_params.max_parallel_requests. */
  maxParallel?: number;
}

export interface EdgePickRequest {
  strategy: EdgeStrategy;
  candidates: EdgeCandidate[];
  /** Estimated input tokens of the request, counted against tpm now and corrected on settle. */
  inputTokens: number;
  /** How long the slot is held at most if `settle` never comes. */
  leaseMs: number;
}

export interface EdgePick {
  id: string;
  lease: string;
}

export interface EdgeSettle {
  lease: string;
  /** Real total tokens minus the estimate counted at pick time. */
  tokenCorrection?: number;
}

export interface EdgeReport {
  /** The reporting isolate's random id. */
  isolate: string;
  /** Increases with every report of this isolate: an older report arriving late is ignored. */
  seq: number;
  /** Its calls in flight per deployment of the group (zeros may be left out). */
  inFlight: Record<string, number>;
  /** How long the report counts if no newer one comes. */
  ttlMs: number;
}

export interface EdgeSnapshot {
  inFlight: Record<string, number>;
  minute: Record<string, MinuteCount>;
}

/** RouterState's RPC methods, as callers see them (every RPC answers a promise). */
export interface RouterStateRpc {
  /** Chooses a deployment among the candidates within their limits, and counts the request. Null: none has room. */
  pick(req: EdgePickRequest): Promise<EdgePick | null>;
  /** Gives a picked slot back, with the real token count. */
  settle(s: EdgeSettle): Promise<void>;
  /** An isolate's in-flight counts; answers the other isolates' counts. */
  report(r: EdgeReport): Promise<Record<string, number>>;
  snapshot(): Promise<EdgeSnapshot>;
}

/** The group's RouterState stub (by group name, or by an id made from it once). */
export function routerStateFor(ns: DurableObjectNamespace, group: string | DurableObjectId): RouterStateRpc {
  return ns.get(typeof group === "string" ? ns.idFromName(group) : group) as unknown as RouterStateRpc;
}
