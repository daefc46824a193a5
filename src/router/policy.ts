// What the router does with a failed attempt, by error: LiteLLM's exception classes (for
// retry_policy / allowed_fails_policy), which errors may be retried, which cool a deployment
// down, and how long to wait before the next try.
import type { AllowedFailsPolicy, RetryPolicy } from "../schema/config";
import type { ErrorKind, GatewayError } from "../errors";

/** LiteLLM's exception class names, as used in retry_policy / allowed_fails_policy keys. */
export type ErrorClass = "BadRequestError" | "AuthenticationError" | "TimeoutError" | "RateLimitError" | "ContentPolicyViolationError" | "InternalServerError";

const CLASS_OF: Partial<Record<ErrorKind, ErrorClass>> = {
  bad_request: "BadRequestError",
  // ContextWindowExceededError is a BadRequestError subclass in LiteLLM.
  context_window: "BadRequestError",
  content_policy: "ContentPolicyViolationError",
  auth: "AuthenticationError",
  timeout: "TimeoutError",
  rate_limit: "RateLimitError",
  server: "InternalServerError",
  unavailable: "InternalServerError",
};

export function errorClass(kind: ErrorKind): ErrorClass | undefined {
  return CLASS_OF[kind];
}

/**
 * Kinds retried without a retry_policy entry. LiteLLM also retries plain 400s and 403s; that can
 * never help (the same request fails the same way), so here they need an explicit
 * BadRequestErrorRetries.
 */
const RETRIED_BY_DEFAULT = new Set<ErrorKind>(["auth", "timeout", "rate_limit", "server", "unavailable"]);

/** How many retries this error allows within its group: retry_policy for its class, else num_retries for retryable kinds. */
export function retriesAllowed(error: GatewayError, numRetries: number, policy: RetryPolicy | undefined): number {
  const cls = errorClass(error.kind);
  const fromPolicy =
    cls === "ContentPolicyViolationError"
      ? (policy?.ContentPolicyViolationErrorRetries ?? policy?.BadRequestErrorRetries)
      : cls && policy?.[`${cls}Retries`];
  if (fromPolicy !== undefined) return fromPolicy;
  return RETRIED_BY_DEFAULT.has(error.kind) ? numRetries : 0;
}

/** LiteLLM's `_is_cooldown_required`: 429, 401, 404, 408 and 5xx count; other 4xx never cool a deployment down. */
export function coolsDown(error: GatewayError): boolean {
  if (!error.upstream) return false;
  const s = error.status;
  if (s >= 400 && s < 500) return s === 429 || s === 401 || s === 404 || s === 408;
  return s >= 500;
}

/** LiteLLM's `_should_retry(status)`: errors a client may retry as-is. A deployment failing otherwise is broken, not busy. */
export function transient(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** allowed_fails_policy's value for this error, if any. */
export function allowedFailsFor(error: GatewayError, policy: AllowedFailsPolicy | undefined): number | undefined {
  const cls = errorClass(error.kind);
  return cls && policy?.[`${cls}AllowedFails`];
}

const INITIAL_DELAY_S = 0.5;
const MAX_DELAY_S = 8;
const MAX_RETRY_AFTER_S = 60;

/**
 * LiteLLM's `_calculate_retry_after`: the upstream's retry-after when it is sane (0-60 s), else
 * exponential backoff (0.5 s doubling, at most 8 s) with up to 25% jitter, and never less than
 * `minS` (router_settings.retry_after).
 */
export function backoffMs(retryAfterS: number | undefined, retriesSoFar: number, minS = 0, random = Math.random): number {
  if (retryAfterS !== undefined && retryAfterS > 0 && retryAfterS <= MAX_RETRY_AFTER_S) return retryAfterS * 1000;
  const delay = Math.min(INITIAL_DELAY_S * 2 ** retriesSoFar, MAX_DELAY_S) * (1 - 0.25 * random());
  return Math.max(delay, minS) * 1000;
}

/** Resolves after `ms`, or rejects at once when the client goes away. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
