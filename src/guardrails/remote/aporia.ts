// Aporia Guardrails, as LiteLLM calls it: POST {api_base}/validate (api_base includes the project),
// header X-APORIA-API-KEY, body {messages, validation_target: prompt} for the request and
// {messages, response, validation_target: both} for the answer. `action: "block"` blocks; LiteLLM
// lets "modify"/"rephrase"/"passthrough" through, and so does this.
import type { SpecOf } from "../spec";
import type { CheckInput, CheckResult, Guardrail } from "../types";
import { messagesOf, postJson, remoteGuardrail, required, type Resolve } from "./remote-guardrail";

const ROLES = new Set(["system", "user", "assistant"]);

export function aporiaGuardrail(spec: SpecOf<"aporia">, resolve: Resolve): Guardrail {
  const apiBase = resolve(spec.apiBase)?.replace(/\/+$/, "");
  const apiKey = resolve(spec.apiKey);
  const validate = async (input: CheckInput, body: Record<string, unknown>): Promise<CheckResult> => {
    const answer = await postJson<{ action?: string }>({
      guardrail: spec.name,
      service: "Aporia",
      url: `${required(spec.name, apiBase, spec.apiBase)}/validate`,
      headers: { "X-APORIA-API-KEY": required(spec.name, apiKey, spec.apiKey) },
      body: { ...body, ...input.extraBody },
      timeoutSeconds: spec.timeout,
      signal: input.signal,
    });
    return answer.action === "block" ? { action: "block", reason: `Aporia blocked the ${body.validation_target === "prompt" ? "prompt" : "response"}` } : { action: "pass" };
  };
  // Roles Aporia does not know (tool) are sent as "other", as LiteLLM does.
  const messages = (t: { texts: readonly string[]; roles: readonly string[] }) => messagesOf(t).map((m) => (ROLES.has(m.role) ? m : { ...m, role: "other" }));
  return remoteGuardrail(spec, {
    checkRequest: (input) => validate(input, { messages: messages(input), validation_target: "prompt" }),
    checkResponse: (input) =>
      validate(input, { messages: input.request ? messages(input.request) : [], response: input.texts.join("\n"), validation_target: input.request ? "both" : "response" }),
  });
}
