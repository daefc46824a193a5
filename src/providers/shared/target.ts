// Pieces of an upstream request's target that every provider needs the same way.
import type { AdapterContext } from "../../core/provider";

/** A string env var or secret (os.environ/NAME), else undefined (bindings and JSON vars are not strings). */
export function envString(ctx: AdapterContext, name: string): string | undefined {
  return typeof ctx.env[name] === "string" ? (ctx.env[name] as string) : undefined;
}

/** Strips the query string (it may carry keys) from a URL for headers and logs. */
export function apiBaseForDisplay(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
