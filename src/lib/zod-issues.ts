// zod issues in words, one way everywhere: config errors at build time, and the 400s of every route.
import type { z } from "zod";
import { GatewayError } from "../errors";

/** `model_list[0].litellm_params.rpm`: dots between keys, brackets around indexes. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

/** `path: message` for each issue (`(top level)` for the object itself). */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${issuePath(i.path) || "(top level)"}: ${i.message}`);
}

const SHOWN = 3;

/** The 400 for a request that fails its schema: the first few issues, `param` = the first one's path. */
export function invalidRequest(error: z.ZodError): GatewayError {
  const issues = error.issues.slice(0, SHOWN).map((i) => `${issuePath(i.path) ? `${issuePath(i.path)}: ` : ""}${i.message}`);
  const more = error.issues.length > SHOWN ? ` (and ${error.issues.length - SHOWN} more)` : "";
  return new GatewayError(400, "bad_request", `Invalid request: ${issues.join("; ")}${more}`, { param: issuePath(error.issues[0]?.path ?? []) || null });
}
