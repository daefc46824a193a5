// The one interface every guardrail implements, and the values that flow through the engine.
// Types only: the engine (./engine.ts) runs guardrails; each guardrail lives in its own file under
// ./local (no service needed) or ./remote (a third-party HTTP API).
/** LiteLLM's event hooks: before the upstream call, in parallel with it, or on the answer. */
export type Hook = "pre_call" | "during_call" | "post_call";

/** Per-call state shared by the guardrails of one call (PII placeholders for unmasking the answer). */
export interface CallState {
  /** placeholder -> original text, filled when a guardrail masks with output_parse_pii. */
  readonly piiTokens: Map<string, string>;
  /** original text -> placeholder, so one value gets one placeholder across every message. */
  readonly piiValues: Map<string, string>;
  /** Next number per entity type (<EMAIL_ADDRESS_1>, <EMAIL_ADDRESS_2>, ...). */
  readonly piiCounters: Map<string, number>;
}

/** Texts with the role each came from (system, user, assistant, tool; "user" for a prompt or input). */
export interface RoleTexts {
  texts: readonly string[];
  roles: readonly string[];
}

/** What a guardrail checks: the texts of one side of a call, in order. */
export interface CheckInput extends RoleTexts {
  /** On the answer side: the request's texts (services that judge the answer in context). */
  request?: RoleTexts;
  /** Per-request `extra_body` for this guardrail (`"guardrails": {"name": {"extra_body": {...}}}`). */
  extraBody?: Record<string, unknown>;
  state: CallState;
  /** Lets a remote check be abandoned when the client goes away. */
  signal?: AbortSignal;
}

/** What a streamed-answer scanner knows besides the text. */
export type StreamContext = Omit<CheckInput, "texts" | "roles">;

/**
 * A check's verdict. `block.reason` is a safe description ("us_ssn pattern detected"): never the
 * matched text. `modify.texts` has one entry per input text.
 */
export type CheckResult = { action: "pass" } | { action: "block"; reason: string } | { action: "modify"; texts: string[] };

/** Incremental checker for one streamed text (one choice of an answer). */
export interface TextScanner {
  /** Takes the next delta; returns the text that may be sent now. Throws GuardrailViolation on a block. */
  push(delta: string): string;
  /** End of the text: returns what was still held back (checked). Throws GuardrailViolation on a block. */
  end(): string | Promise<string>;
}

/** A ready guardrail, built once per isolate from its compiled spec (./build.ts). */
export interface Guardrail {
  /** guardrail_name. */
  readonly name: string;
  /** litellm_params.guardrail as configured (presidio, litellm_content_filter, ...). */
  readonly type: string;
  readonly modes: ReadonlySet<Hook>;
  readonly defaultOn: boolean;
  /** True when it runs in the gateway (microseconds); false when it calls a service. */
  readonly local: boolean;
  /** Checks, and may mask, the request's texts. */
  checkRequest(input: CheckInput): CheckResult | Promise<CheckResult>;
  /** Checks, and may mask or unmask, the answer's texts (one per choice). */
  checkResponse(input: CheckInput): CheckResult | Promise<CheckResult>;
  /** A scanner for one streamed answer text. */
  scanStream(context: StreamContext): TextScanner;
  /** Runs on the answer even when post_call is not among its modes (presidio's output_parse_pii unmasking). */
  readonly unmasksAnswer?: boolean;
}

export function newCallState(): CallState {
  return { piiTokens: new Map(), piiValues: new Map(), piiCounters: new Map() };
}
