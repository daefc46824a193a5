// Turning a provider's error answer into the gateway's error: the provider's own message (secrets
// removed), the kind the router reasons about, and retry-after. Each adapter extracts the message
// and any provider-specific kind; the rules shared by all of them live here.
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
  const message = redactSecrets(details.message || `HTTP ${failure.status}`, ...secretsOf(ctx));
  let kind = details.kind ?? kindForStatus(failure.status);
  if (!details.kind && (kind === "bad_request" || failure.status === 413) && CONTEXT_WINDOW.test(message)) kind = "context_window";
  // LiteLLM answers both with 400 (ContextWindowExceededError, ContentPolicyViolationError).
  const status = details.status ?? (kind === "context_window" || kind === "content_policy" ? 400 : failure.status);
  return new GatewayError(status, kind, `${provider} error: ${message}`, {
    param: details.param ?? null,
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
