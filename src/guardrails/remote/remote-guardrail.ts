// What the third-party guards share: one JSON POST with a timeout, failures that never echo the
// request text or a secret, and the Guardrail shape around a service (a streamed answer is held
// whole and checked at its end: a service judges complete text, and text already sent cannot be
// taken back).
import { GuardrailViolation, guardrailUnavailable } from "../errors";
import type { GuardrailSpec } from "../spec";
import type { CheckInput, CheckResult, Guardrail, StreamContext, TextScanner } from "../types";

const DEFAULT_TIMEOUT_S = 10;

export type Resolve = (value: string | undefined) => string | undefined;

export interface PostOptions {
  guardrail: string;
  /** Service name for errors ("Lakera Guard"). */
  service: string;
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Signs or otherwise finishes the request (Bedrock's SigV4). */
  prepare?: (request: Request) => Promise<Request>;
}

/** POSTs JSON and returns the parsed answer; any failure is a 503 naming the guardrail and the service. */
export async function postJson<T = Record<string, unknown>>(o: PostOptions): Promise<T> {
  const timeout = AbortSignal.timeout((o.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let request = new Request(o.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json", ...o.headers }, body: JSON.stringify(o.body), signal });
  if (o.prepare) request = await o.prepare(request);
  let res: Response;
  try {
    res = await fetch(request);
  } catch (err) {
    const what = (err as Error).name === "TimeoutError" ? `no answer from ${o.service} in ${o.timeoutSeconds ?? DEFAULT_TIMEOUT_S}s` : `${o.service} could not be reached`;
    throw guardrailUnavailable(o.guardrail, what);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw guardrailUnavailable(o.guardrail, `${o.service} answered HTTP ${res.status}`);
  }
  try {
    return (await res.json()) as T;
  } catch {
    throw guardrailUnavailable(o.guardrail, `${o.service} answered something that is not JSON`);
  }
}

/** Holds a streamed answer whole and checks it at the end. */
export function bufferedScanner(guardrail: Pick<Guardrail, "name" | "checkResponse">, context: StreamContext): TextScanner {
  let text = "";
  return {
    push(delta) {
      text += delta;
      return "";
    },
    async end() {
      const result = await guardrail.checkResponse({ ...context, texts: [text], roles: ["assistant"] });
      if (result.action === "block") throw new GuardrailViolation(guardrail.name, result.reason);
      return result.action === "modify" ? result.texts[0] : text;
    },
  };
}

export interface RemoteChecks {
  checkRequest(input: CheckInput): Promise<CheckResult>;
  checkResponse(input: CheckInput): Promise<CheckResult>;
  scanStream?: Guardrail["scanStream"];
  unmasksAnswer?: boolean;
}

/** No text to judge (token-id prompts, an answer that is only tool calls): no call to the service. */
const skipEmpty = (check: RemoteChecks["checkRequest"]) => (input: CheckInput): Promise<CheckResult> =>
  input.texts.some((t) => t.trim()) ? check(input) : Promise.resolve({ action: "pass" });

export function remoteGuardrail(spec: GuardrailSpec, checks: RemoteChecks): Guardrail {
  const guard: Guardrail = {
    name: spec.name,
    type: spec.type,
    modes: new Set(spec.modes),
    defaultOn: spec.defaultOn,
    local: false,
    checkRequest: skipEmpty(checks.checkRequest),
    checkResponse: skipEmpty(checks.checkResponse),
    scanStream: checks.scanStream ?? ((context) => bufferedScanner(guard, context)),
    unmasksAnswer: checks.unmasksAnswer,
  };
  return guard;
}

/** Role/content messages for services that read a conversation (Lakera, Aporia, the generic API). */
export function messagesOf(input: { texts: readonly string[]; roles: readonly string[] }) {
  return input.texts.map((content, i) => ({ role: input.roles[i] ?? "user", content }));
}

/** A required secret that `os.environ/NAME` did not resolve: a 503 saying which variable is missing. */
export function required(guardrail: string, value: string | undefined, raw: string): string {
  if (value) return value;
  throw guardrailUnavailable(guardrail, `${raw.startsWith("os.environ/") ? raw.slice("os.environ/".length) : "a credential"} is not set`);
}
