// OpenAI's moderation endpoint, as LiteLLM's openai_moderation calls it: POST {api_base}/moderations
// {model, input} with a Bearer key (input is sent as the list of texts: one result each). Any flagged
// result blocks, naming the categories.
import type { SpecOf } from "../spec";
import type { CheckInput, CheckResult, Guardrail } from "../types";
import { postJson, remoteGuardrail, required, type Resolve } from "./remote-guardrail";

interface ModerationResponse {
  results?: { flagged?: boolean; categories?: Record<string, boolean> }[];
}

export function openaiModerationGuardrail(spec: SpecOf<"openai_moderation">, resolve: Resolve): Guardrail {
  const apiBase = resolve(spec.apiBase)?.replace(/\/+$/, "");
  const apiKey = resolve(spec.apiKey);
  const moderate = async (input: CheckInput): Promise<CheckResult> => {
    const texts = input.texts.filter((t) => t.trim());
    if (!texts.length) return { action: "pass" };
    const answer = await postJson<ModerationResponse>({
      guardrail: spec.name,
      service: "OpenAI moderation",
      url: `${required(spec.name, apiBase, spec.apiBase)}/moderations`,
      headers: { authorization: `Bearer ${required(spec.name, apiKey, spec.apiKey)}` },
      body: { model: spec.model, input: texts, ...input.extraBody },
      timeoutSeconds: spec.timeout,
      signal: input.signal,
    });
    const flagged = (answer.results ?? []).filter((r) => r.flagged);
    if (!flagged.length) return { action: "pass" };
    const categories = [...new Set(flagged.flatMap((r) => Object.entries(r.categories ?? {}).filter(([, on]) => on).map(([c]) => c)))];
    return { action: "block", reason: `flagged by OpenAI moderation (${categories.join(", ") || "policy violation"})` };
  };
  return remoteGuardrail(spec, { checkRequest: moderate, checkResponse: moderate });
}
