// One error type for the whole gateway, rendered in OpenAI's shape:
// {"error":{"message","type","param","code"}} with code = the HTTP status as a string (as LiteLLM does),
// or, for Anthropic's API (/v1/messages), in Anthropic's: {"type":"error","error":{"type","message"}}.

/**
 * What went wrong, in the router's terms. Retry policies, cooldowns and fallbacks switch on this
 * (LiteLLM's BadRequestError, AuthenticationError, TimeoutError, RateLimitError,
 * ContentPolicyViolationError, ContextWindowExceededError, InternalServerError ...).
 */
export type ErrorKind =
  | "bad_request"
  | "context_window"
  | "content_policy"
  | "auth"
  | "permission"
  | "not_found"
  | "timeout"
  | "rate_limit"
  | "budget"
  | "server"
  | "unavailable";

const defaultType: Record<ErrorKind, string> = {
  bad_request: "invalid_request_error",
  context_window: "invalid_request_error",
  content_policy: "invalid_request_error",
  auth: "auth_error",
  permission: "permission_error",
  not_found: "not_found_error",
  timeout: "timeout_error",
  rate_limit: "rate_limit_error",
  budget: "budget_exceeded",
  server: "internal_server_error",
  unavailable: "service_unavailable_error",
};

export interface GatewayErrorOptions {
  type?: string;
  param?: string | null;
  code?: string;
  /** Seconds, from an upstream `retry-after` or a limiter. */
  retryAfter?: number;
  /** True when the error came from a provider (counts toward cooldowns). */
  upstream?: boolean;
}

export class GatewayError extends Error {
  readonly type: string;
  readonly param: string | null;
  readonly code: string;
  readonly retryAfter?: number;
  readonly upstream: boolean;

  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.type = options.type ?? defaultType[kind];
    this.param = options.param ?? null;
    this.code = options.code ?? String(status);
    this.retryAfter = options.retryAfter;
    this.upstream = options.upstream ?? false;
  }

  toBody() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** Anthropic's error body (the Anthropic SDKs read `error.type`). */
  toAnthropicBody() {
    return { type: "error", error: { type: anthropicErrorType(this.status), message: this.message } };
  }

  toResponse(headers?: HeadersInit, shape: "openai" | "anthropic" = "openai"): Response {
    const h = new Headers(headers);
    h.set("content-type", "application/json");
    if (this.retryAfter !== undefined) h.set("retry-after", String(Math.max(0, Math.ceil(this.retryAfter))));
    return new Response(JSON.stringify(shape === "anthropic" ? this.toAnthropicBody() : this.toBody()), { status: this.status, headers: h });
  }
}

/** The `type` of Anthropic's error body for an HTTP status. */
function anthropicErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 402) return "billing_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 408 || status === 504) return "timeout_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503 || status === 529) return "overloaded_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

export const badRequest = (message: string, param: string | null = null) =>
  new GatewayError(400, "bad_request", message, { param });

/** Any thrown value as a GatewayError; unknown errors become a 500 without internals. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof Error && err.name === "TimeoutError") {
    return new GatewayError(408, "timeout", "Request timed out");
  }
  return new GatewayError(500, "server", "Internal error in the gateway");
}

/** Maps an upstream HTTP status to the kind the router reasons about. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 400 || status === 422) return "bad_request";
  if (status === 401) return "auth";
  if (status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 408) return "timeout";
  if (status === 429) return "rate_limit";
  if (status === 503) return "unavailable";
  return status >= 500 ? "server" : "bad_request";
}

/** Seconds from a `retry-after` (or `retry-after-ms`) header, if present and sane. */
export function parseRetryAfter(headers: Headers): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}

const KEY_LIKE = /\b(sk|pk|rk|gsk|xai|AIza)[-_A-Za-z0-9*.]{8,}/g;

/** Removes anything that looks like an API key from an upstream message before it reaches a client. */
export function redactSecrets(text: string, ...secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  return out.replace(KEY_LIKE, "[redacted]");
}
