// The errors a guardrail raises, as GatewayErrors so the one error renderer shows them: a block is a
// 400 `guardrail_violation` naming the guardrail (OpenAI's shape; /v1/messages renders Anthropic's),
// a guard service that cannot answer is a 503 (fail closed: a guard never silently passes).
import { GatewayError } from "../errors";

export class GuardrailViolation extends GatewayError {
  constructor(
    readonly guardrail: string,
    /** Safe description of what was found: never the matched text. */
    readonly reason: string,
  ) {
    super(400, "bad_request", `Blocked by guardrail '${guardrail}': ${reason}`, { type: "guardrail_violation", param: "guardrails" });
    this.name = "GuardrailViolation";
  }
}

/** A guard service failed or answered something unusable (no request text and no secret in the message). */
export function guardrailUnavailable(guardrail: string, what: string): GatewayError {
  return new GatewayError(503, "unavailable", `Guardrail '${guardrail}' could not check the call: ${what}`, { type: "guardrail_error" });
}
