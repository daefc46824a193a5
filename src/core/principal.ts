// Who is calling. The auth middleware sets one on every authenticated request.
import type { KeyConfig } from "./guard-rpc";

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
