// The guardrail engine's entry points (see ./README.md for what the request path calls, and when).
//   new GuardrailEngine(compiled, env)     once per isolate
//   engine.forCall(body, principal)        per call: the selected guardrails, or undefined
//   call.preCall(body)                     before the upstream call: the (masked) body, or a block
//   call.duringCall(body)                  start with the upstream call; await before releasing the answer
//   call.postCall(answer)                  a JSON answer: the (masked/unmasked) answer, or a block
//   call.streamGuard()                     a streamed answer: chunk in, chunks out
// Local guardrails configured `during_call` run with pre_call: they take microseconds, and masking
// only helps before the text leaves. Third-party ones run in parallel with the upstream call, and
// what they would change is discarded (the request has already gone); only their block counts.
import { badRequest } from "../errors";
import { envResolver, buildGuardrail } from "./build";
import { GuardrailViolation } from "./errors";
import { listGuardrails, selectGuardrails, type PrincipalGuardrails } from "./select";
import type { CompiledGuardrails, GuardrailSpec } from "./spec";
import { createStreamGuard, type StreamGuard } from "./stream";
import { answerTexts, requestTexts } from "./text";
import { newCallState, type CallState, type CheckInput, type CheckResult, type Guardrail, type RoleTexts } from "./types";

type Json = Record<string, unknown>;

function verdict(g: Guardrail, result: CheckResult, texts: string[]): string[] {
  if (result.action === "block") throw new GuardrailViolation(g.name, result.reason);
  return result.action === "modify" ? result.texts : texts;
}

export class GuardrailEngine {
  readonly guardrails: readonly Guardrail[];
  private readonly specs: readonly GuardrailSpec[];

  /** Builds every guardrail once: call once per isolate, with the Worker's env for `os.environ/` secrets. */
  constructor(compiled: CompiledGuardrails, env: Record<string, unknown> = {}, environmentVariables: Record<string, string> = {}) {
    this.specs = compiled.specs;
    const resolve = envResolver(env, environmentVariables);
    this.guardrails = compiled.specs.map((s) => buildGuardrail(s, resolve));
  }

  /** GET /guardrails/list. */
  list() {
    return listGuardrails(this.specs);
  }

  /** For the key and team `guardrails` fields: a 400 naming the first guardrail that is not configured. */
  requireConfigured(names: readonly string[]): void {
    const unknown = names.find((n) => !this.guardrails.some((g) => g.name === n));
    if (unknown !== undefined) {
      const configured = this.guardrails.length ? this.guardrails.map((g) => g.name).join(", ") : "none";
      throw badRequest(`Unknown guardrail '${unknown}'. Configured guardrails: ${configured}`, "guardrails");
    }
  }

  /**
   * The guardrails of one call, or undefined when none applies (nothing to do on this call).
   * Throws a GatewayError (400/403) for a bad or unknown `guardrails` field.
   */
  forCall(body: Json, principal: PrincipalGuardrails = {}, signal?: AbortSignal): CallGuardrails | undefined {
    if (!this.guardrails.length && body.guardrails === undefined && !principal.key?.length && !principal.team?.length && !(body.metadata as Json | undefined)?.guardrails) return undefined;
    const selection = selectGuardrails(this.guardrails, body, principal);
    return selection.guardrails.length ? new CallGuardrails(selection.guardrails, selection.extraBody, signal) : undefined;
  }
}

export class CallGuardrails {
  /** For `x-litellm-applied-guardrails`. */
  readonly applied: readonly string[];
  readonly state: CallState = newCallState();
  private readonly pre: Guardrail[];
  private readonly during: Guardrail[];
  private readonly post: Guardrail[];
  /** The request's texts as sent upstream (after pre_call masking): context for answer checks. */
  private request: RoleTexts = { texts: [], roles: [] };

  constructor(
    guardrails: readonly Guardrail[],
    private readonly extraBody: ReadonlyMap<string, Record<string, unknown>>,
    private readonly signal?: AbortSignal,
  ) {
    this.applied = guardrails.map((g) => g.name);
    this.pre = guardrails.filter((g) => g.modes.has("pre_call") || (g.local && g.modes.has("during_call")));
    this.during = guardrails.filter((g) => !g.local && g.modes.has("during_call") && !g.modes.has("pre_call"));
    this.post = guardrails.filter((g) => g.modes.has("post_call") || g.unmasksAnswer);
  }

  get hasDuringCall() {
    return this.during.length > 0;
  }

  get hasPostCall() {
    return this.post.length > 0;
  }

  private input(g: Guardrail, t: RoleTexts, request?: RoleTexts): CheckInput {
    return { texts: t.texts, roles: t.roles, request, extraBody: this.extraBody.get(g.name), state: this.state, signal: this.signal };
  }

  /** pre_call: returns the body to send upstream (a masked copy, or the same object), or throws GuardrailViolation. */
  async preCall(body: Json): Promise<Json> {
    const slots = requestTexts(body);
    let texts = slots.texts as string[];
    for (const g of this.pre) texts = verdict(g, await g.checkRequest(this.input(g, { texts, roles: slots.roles })), texts);
    this.request = { texts, roles: slots.roles };
    return texts === slots.texts ? body : slots.write(texts);
  }

  /**
   * during_call: the third-party checks to run alongside the upstream call. Resolves when all pass,
   * rejects with GuardrailViolation (or a 503 when a guard service fails). Undefined when there are none.
   */
  duringCall(body: Json): Promise<void> | undefined {
    if (!this.during.length) return undefined;
    const slots = requestTexts(body);
    return Promise.all(this.during.map(async (g) => verdict(g, await g.checkRequest(this.input(g, slots)), []))).then(() => undefined);
  }

  /** post_call on a JSON answer: the answer to return (masked/unmasked copy, or the same), or throws. */
  async postCall(answer: Json): Promise<Json> {
    if (!this.post.length) return answer;
    const slots = answerTexts(answer);
    if (!slots.texts.length) return answer;
    let texts = slots.texts as string[];
    for (const g of this.post) texts = verdict(g, await g.checkResponse(this.input(g, { texts, roles: slots.roles }, this.request)), texts);
    return texts === slots.texts ? answer : slots.write(texts);
  }

  /** post_call on a streamed answer; undefined when no guardrail looks at the answer. */
  streamGuard(): StreamGuard | undefined {
    if (!this.post.length) return undefined;
    return createStreamGuard(this.post, (g) => ({ request: this.request, extraBody: this.extraBody.get(g.name), state: this.state, signal: this.signal }));
  }
}
