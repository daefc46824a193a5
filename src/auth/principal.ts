// Who is calling. The auth middleware sets one on every authenticated request.
export interface Principal {
  kind: "master" | "open" | "virtual_key";
  /** Model names / access groups this caller may use; undefined or empty = all. */
  models?: readonly string[];
}

export const MASTER: Principal = { kind: "master" };
/** No master key configured: local use only, everything allowed. */
export const OPEN: Principal = { kind: "open" };
