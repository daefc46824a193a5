// LiteLLM's Generic Guardrail API: any service speaking its "basic guardrail API".
// POST {api_base}/beta/litellm_basic_guardrail_api with the configured headers and
// {input_type: request|response, litellm_call_id, litellm_trace_id, texts, structured_messages,
//  images, tools, request_data, additional_provider_specific_params}; the answer is
// {action: NONE | BLOCKED | GUARDRAIL_INTERVENED, blocked_reason?, texts?}.
// unreachable_fallback: fail_open lets the call through when the service cannot be reached.
import { GatewayError, redactSecrets } from "../../errors";
import { guardrailUnavailable } from "../errors";
import type { SpecOf } from "../spec";
import type { CheckInput, CheckResult, Guardrail } from "../types";
import { messagesOf, postJson, remoteGuardrail, required, type Resolve } from "./remote-guardrail";

const PATH = "/beta/litellm_basic_guardrail_api";

interface GenericResponse {
  action?: string;
  blocked_reason?: string | null;
  texts?: unknown;
}

export function genericApiGuardrail(spec: SpecOf<"generic_api">, resolve: Resolve): Guardrail {
  const base = resolve(spec.apiBase)?.replace(/\/+$/, "");
  const url = base && (base.endsWith(PATH) ? base : base + PATH);
  const headers = Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k, resolve(v) ?? ""]));
  const apply = async (input: CheckInput, inputType: "request" | "response"): Promise<CheckResult> => {
    let answer: GenericResponse;
    try {
      answer = await postJson<GenericResponse>({
        guardrail: spec.name,
        service: "the guardrail API",
        url: required(spec.name, url, spec.apiBase),
        headers,
        body: {
          input_type: inputType,
          litellm_call_id: null,
          litellm_trace_id: null,
          texts: input.texts,
          structured_messages: inputType === "request" ? messagesOf(input) : null,
          images: null,
          tools: null,
          request_data: {},
          additional_provider_specific_params: { ...spec.additional, ...input.extraBody },
        },
        timeoutSeconds: spec.timeout,
        signal: input.signal,
      });
    } catch (err) {
      if (spec.failOpen && err instanceof GatewayError && err.status === 503) return { action: "pass" };
      throw err;
    }
    if (answer.action === "BLOCKED") return { action: "block", reason: redactSecrets(answer.blocked_reason || "content violates policy").slice(0, 300) };
    const texts = answer.texts;
    const usable = Array.isArray(texts) && texts.length === input.texts.length && texts.every((t) => typeof t === "string");
    if (usable && texts.some((t, i) => t !== input.texts[i])) return { action: "modify", texts: texts as string[] };
    if (answer.action === "GUARDRAIL_INTERVENED" && !usable) throw guardrailUnavailable(spec.name, "the guardrail API changed the texts but did not return one per text");
    return { action: "pass" };
  };
  return remoteGuardrail(spec, { checkRequest: (i) => apply(i, "request"), checkResponse: (i) => apply(i, "response") });
}
