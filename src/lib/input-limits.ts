// The limits on what a client may send, in one place (README "Input limits"): model names, and how
// deep and how large JSON may be. Every check is synchronous, allocation-free on the usual input, and
// runs before anything is sent upstream; a walker over JSON that could still meet deeper input (a
// config, a stored row) guards its recursion with `checkDepth`.
import { badRequest } from "../errors";

/** Longest model name accepted (characters). LiteLLM's longest real names (Bedrock ARNs) are ~120. */
export const MAX_MODEL_NAME_LENGTH = 256;

/** Deepest JSON accepted in a request body (objects and arrays count one level each). */
export const MAX_REQUEST_JSON_DEPTH = 64;

/** What a stored JSON field of a key, team or user (metadata, models, tags, per-model limits) may be. */
export const STORED_JSON_LIMITS = { depth: 16, bytes: 64 * 1024 } as const;

// Control and format characters (CR, LF, NUL, DEL, C1, zero-width and bidi controls, line separators)
// and lone surrogates: they break response headers and log lines, or hide what a name really is.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
// Characters that mean something in a URL: a wildcard deployment puts the name into the upstream's path.
const URL_SIGNIFICANT = /[?#%\\]/;
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

/** Why `name` is not an acceptable model name, or undefined when it is. */
export function modelNameProblem(name: string): string | undefined {
  if (name.length > MAX_MODEL_NAME_LENGTH) return `model name is too long (${name.length} characters; at most ${MAX_MODEL_NAME_LENGTH})`;
  const invisible = INVISIBLE.exec(name);
  if (invisible) return `model name contains a control character (U+${invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`;
  if (URL_SIGNIFICANT.test(name)) return "model name contains a character that is not allowed in model names ('?', '#', '%' or '\\')";
  if (DOT_SEGMENT.test(name)) return "model name contains a '.' or '..' path segment";
  return undefined;
}

/**
 * True when `value` nests objects/arrays deeper than `maxDepth` levels. Stops at the limit, so its own
 * recursion is bounded; visits every node of shallower input once (no allocation).
 */
export function tooDeep(value: unknown, maxDepth: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (maxDepth <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (tooDeep(value[i], maxDepth - 1)) return true;
    return false;
  }
  for (const key in value) if (tooDeep((value as Record<string, unknown>)[key], maxDepth - 1)) return true;
  return false;
}

/** The top-level field of an object body that nests too deeply (for a 400's `param`), if any. */
export function tooDeepField(body: Record<string, unknown>, maxDepth: number): string | undefined {
  for (const key in body) if (tooDeep(body[key], maxDepth - 1)) return key;
  return undefined;
}

/** Why a value cannot be stored as a JSON field (too deep, too large), or undefined when it can. */
export function storedJsonProblem(value: unknown, limits: { depth: number; bytes: number } = STORED_JSON_LIMITS): string | undefined {
  if (tooDeep(value, limits.depth)) return `is nested more than ${limits.depth} levels deep`;
  // Depth is bounded now, so serialising cannot overflow the stack.
  const size = JSON.stringify(value)?.length ?? 0;
  if (size > limits.bytes) return `is larger than ${limits.bytes / 1024} KB as JSON (${Math.ceil(size / 1024)} KB)`;
  return undefined;
}

/** For recursive walkers over client JSON: a 400 once `depth` passes the request limit (never a stack overflow). */
export function checkDepth(depth: number, what: string, param: string | null = null): void {
  if (depth > MAX_REQUEST_JSON_DEPTH) throw badRequest(`${what} is nested too deeply (more than ${MAX_REQUEST_JSON_DEPTH} levels)`, param);
}
