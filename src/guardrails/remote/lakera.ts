// Lakera Guard v2, as LiteLLM's lakera_v2 calls it: POST {api_base}/v2/guard with a Bearer key and
// {messages, project_id, payload, breakdown, metadata, dev_info}. `flagged: true` blocks, naming the
// detectors that fired; when every detection is PII (detector_type pii/...) the spans in `payload`
// are masked instead ("[MASKED CREDIT_CARD]"), as LiteLLM does. on_flagged: monitor never blocks.
import type { SpecOf } from "../spec";
import type { CheckInput, CheckResult, Guardrail } from "../types";
import { messagesOf, postJson, remoteGuardrail, required, type Resolve } from "./remote-guardrail";

interface LakeraResponse {
  flagged?: boolean;
  payload?: { start?: number; end?: number; detector_type?: string; message_id?: number }[];
  breakdown?: { detector_type?: string; detected?: boolean }[];
}

export function lakeraGuardrail(spec: SpecOf<"lakera">, resolve: Resolve): Guardrail {
  const apiBase = resolve(spec.apiBase)?.replace(/\/+$/, "");
  const apiKey = resolve(spec.apiKey);
  const guard = async (input: CheckInput, answerFrom?: number): Promise<CheckResult> => {
    const messages = answerFrom === undefined ? messagesOf(input) : [...messagesOf(input.request ?? { texts: [], roles: [] }), ...messagesOf(input)];
    const body = { messages, project_id: spec.projectId, payload: spec.payload, breakdown: spec.breakdown, metadata: spec.metadata, dev_info: spec.devInfo, ...input.extraBody };
    const answer = await postJson<LakeraResponse>({
      guardrail: spec.name,
      service: "Lakera Guard",
      url: `${required(spec.name, apiBase, spec.apiBase)}/v2/guard`,
      headers: { authorization: `Bearer ${required(spec.name, apiKey, spec.apiKey)}` },
      body,
      timeoutSeconds: spec.timeout,
      signal: input.signal,
    });
    if (answer.flagged !== true || spec.monitorOnly) return { action: "pass" };
    const detected = (answer.breakdown ?? []).filter((b) => b.detected).map((b) => b.detector_type ?? "unknown");
    const onlyPii = detected.length > 0 && detected.every((d) => d.startsWith("pii/"));
    const offset = answerFrom ?? 0;
    if (onlyPii && answer.payload?.length) {
      const texts = [...input.texts];
      const spans = [...answer.payload].sort((a, b) => (b.start ?? 0) - (a.start ?? 0));
      for (const s of spans) {
        const i = (s.message_id ?? -1) - offset;
        if (i < 0 || i >= texts.length || s.start === undefined || s.end === undefined || !s.detector_type) continue;
        texts[i] = `${texts[i].slice(0, s.start)}[MASKED ${s.detector_type.split("/").pop()!.toUpperCase()}]${texts[i].slice(s.end)}`;
      }
      return { action: "modify", texts };
    }
    return { action: "block", reason: `flagged by Lakera Guard (${[...new Set(detected)].join(", ") || "policy violation"})` };
  };
  return remoteGuardrail(spec, {
    checkRequest: (input) => guard(input),
    checkResponse: (input) => guard(input, input.request?.texts.length ?? 0),
  });
}
