// Turning a provider's error answer into the gateway's error: the provider's own message (secrets
// removed), the kind the router reasons about, and retry-after. Each adapter extracts the message
// and any provider-specific kind; the rules shared by all of them live here. Error bodies are read
// whatever their shape (a string, an object, an array, empty, an HTML page): a proxy or an older
// server in front of a provider answers in its own, and the upstream's message must survive that.
import { type ErrorKind, GatewayError, kindForStatus, parseRetryAfter, redactSecrets } from "../../errors";
import type { AdapterContext, UpstreamFailure } from "../../core/provider";

/** Messages that mean "the prompt is longer than the model's context", across providers. */
const CONTEXT_WINDOW =
  /context (length|window|limit)|maximum context|prompt is too long|too many (input )?tokens|input is too long|input token count|exceeds? the (maximum|context)|maximum number of tokens/i;

export interface ProviderErrorDetails {
  /** The provider's error message (secrets are removed here). */
  message: string;
  /** A kind the provider's body states outright (its error type or code); else derived from status and message. */
  kind?: ErrorKind;
  /** Status to answer with, when the provider's status misleads (Gemini answers a bad key with 400). */
  status?: number;
  /** Seconds, when the provider puts retry information in the body rather than a header. */
  retryAfter?: number;
  param?: string | null;
}

/** Every credential a deployment may hold, so none can leak through an echoed message. */
function secretsOf(ctx: AdapterContext): (string | undefined)[] {
  const p = ctx.deployment.params;
  return [p.api_key, p.aws_secret_access_key, p.aws_session_token, p.aws_access_key_id, p.azure_ad_token, ...Object.values(p.extra_headers ?? {})];
}

export function providerError(failure: UpstreamFailure, ctx: AdapterContext, details: ProviderErrorDetails): GatewayError {
  const provider = ctx.deployment.provider;
  // A message is a string by type, but adapters read it from untyped JSON: never trust that.
  const text = typeof details.message === "string" ? details.message : (messageOf(details.message) ?? "");
  const message = redactSecrets(text || `HTTP ${failure.status}`, ...secretsOf(ctx));
  let kind = details.kind ?? kindForStatus(failure.status);
  if (!details.kind && (kind === "bad_request" || failure.status === 413) && CONTEXT_WINDOW.test(message)) kind = "context_window";
  // LiteLLM answers both with 400 (ContextWindowExceededError, ContentPolicyViolationError).
  const status = details.status ?? (kind === "context_window" || kind === "content_policy" ? 400 : failure.status);
  return new GatewayError(status, kind, `${provider} error: ${message}`, {
    param: typeof details.param === "string" ? details.param : null,
    retryAfter: details.retryAfter ?? parseRetryAfter(failure.headers),
    upstream: true,
  });
}

/** The JSON body of a failure, or undefined for HTML/plain text. */
export function failureJson<T>(failure: UpstreamFailure): T | undefined {
  try {
    return JSON.parse(failure.text) as T;
  } catch {
    return undefined;
  }
}

/** A failure's body as a short message when it is not the provider's JSON (a proxy's HTML page, say). */
export function plainMessage(failure: UpstreamFailure): string {
  const text = failure.text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return text.slice(0, 300);
}

/** Keys under which error bodies carry their message, most specific first. */
const MESSAGE_KEYS = ["message", "Message", "error", "detail", "msg", "error_message", "errorMessage", "errors", "title", "description"];

/**
 * The human message in a parsed error body of any shape: a string, `{error: "..."}`,
 * `{error: {message}}`, `{message}`, FastAPI's `{detail: [{msg}]}`, `[{error: {...}}]`, ...;
 * undefined when there is none.
 */
export function messageOf(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  if (depth > 4 || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = messageOf(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of MESSAGE_KEYS) {
    const found = messageOf((value as Record<string, unknown>)[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A failure's message: from its JSON body whatever the shape, else its text without markup. */
export function failureMessage(failure: UpstreamFailure): string {
  const json = failureJson(failure);
  return messageOf(json) ?? (json === null ? "" : plainMessage(failure));
}

/** `obj[key]` when obj is an object, for reading fields of untyped error bodies. */
export function field(obj: unknown, key: string): unknown {
  return obj && typeof obj === "object" && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** An error that arrived inside a 200 answer or a stream (`{"error": ...}` of any shape). */
export function inBandError(provider: string, error: unknown, status = 500): GatewayError {
  const message = redactSecrets(messageOf(error) ?? "the upstream reported an error");
  return new GatewayError(status, kindForStatus(status), `${provider} error: ${message}`, { upstream: true });
}
