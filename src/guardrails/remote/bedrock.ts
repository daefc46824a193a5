// Amazon Bedrock Guardrails through the ApplyGuardrail API, as LiteLLM's bedrock guardrail calls it:
// POST {runtime}/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply with
// {source: INPUT|OUTPUT, content: [{text: {text}}...]}, SigV4-signed (aws4fetch) or with a Bedrock
// API key as Bearer. `GUARDRAIL_INTERVENED` blocks when any assessment BLOCKED; when it only
// ANONYMIZED, the guard's `outputs` (one per text sent) replace the texts.
import { AwsV4Signer } from "aws4fetch";
import { guardrailUnavailable } from "../errors";
import type { SpecOf } from "../spec";
import type { CheckInput, CheckResult, Guardrail } from "../types";
import { postJson, remoteGuardrail, required, type Resolve } from "./remote-guardrail";

interface ApplyGuardrailResponse {
  action?: "NONE" | "GUARDRAIL_INTERVENED";
  outputs?: { text?: string }[];
  assessments?: Record<string, unknown>[];
}

/** Every `action` in an assessment tree (topicPolicy.topics[].action, contentPolicy.filters[].action, ...). */
function actions(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => actions(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "action" && typeof v === "string") out.push(v);
      else actions(v, out);
    }
  }
  return out;
}

/** Policy names that blocked (topicPolicy, contentPolicy, ...): safe to show, unlike their matches. */
const blockingPolicies = (assessments: Record<string, unknown>[]) =>
  [...new Set(assessments.flatMap((a) => Object.entries(a).filter(([, v]) => actions(v).includes("BLOCKED")).map(([k]) => k)))];

export function bedrockGuardrail(spec: SpecOf<"bedrock">, resolve: Resolve): Guardrail {
  const region = resolve(spec.region);
  const endpoint = (resolve(spec.endpoint) ?? (region ? `https://bedrock-runtime.${region}.amazonaws.com` : undefined))?.replace(/\/+$/, "");
  const path = `/guardrail/${encodeURIComponent(spec.identifier)}/version/${encodeURIComponent(spec.version)}/apply`;
  const apiKey = resolve(spec.apiKey);
  const accessKeyId = resolve(spec.accessKeyId);
  const secretAccessKey = resolve(spec.secretAccessKey);
  const sessionToken = resolve(spec.sessionToken);

  const sign = async (request: Request): Promise<Request> => {
    if (spec.apiKey) {
      const headers = new Headers(request.headers);
      headers.set("authorization", `Bearer ${required(spec.name, apiKey, spec.apiKey)}`);
      return new Request(request, { headers });
    }
    const signer = new AwsV4Signer({
      url: request.url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: await request.clone().text(),
      accessKeyId: required(spec.name, accessKeyId, spec.accessKeyId ?? ""),
      secretAccessKey: required(spec.name, secretAccessKey, spec.secretAccessKey ?? ""),
      sessionToken,
      service: "bedrock",
      region: region ?? "us-east-1",
    });
    const signed = await signer.sign();
    return new Request(request, { headers: signed.headers });
  };

  const apply = async (input: CheckInput, source: "INPUT" | "OUTPUT"): Promise<CheckResult> => {
    const sent = input.texts.map((text, i) => ({ text, i })).filter((t) => t.text.trim());
    if (!sent.length) return { action: "pass" };
    const answer = await postJson<ApplyGuardrailResponse>({
      guardrail: spec.name,
      service: "Bedrock Guardrails",
      url: `${required(spec.name, endpoint, spec.endpoint ?? spec.region ?? "")}${path}`,
      body: { source, content: sent.map((t) => ({ text: { text: t.text } })), ...input.extraBody },
      timeoutSeconds: spec.timeout,
      signal: input.signal,
      prepare: sign,
    });
    if (answer.action !== "GUARDRAIL_INTERVENED") return { action: "pass" };
    const assessments = answer.assessments ?? [];
    const blocking = blockingPolicies(assessments);
    if (blocking.length || !actions(assessments).length) return { action: "block", reason: `Bedrock guardrail intervened (${blocking.join(", ") || "policy"})` };
    const outputs = answer.outputs ?? [];
    if (outputs.length !== sent.length || outputs.some((o) => typeof o.text !== "string")) {
      throw guardrailUnavailable(spec.name, "Bedrock Guardrails masked the content but did not return one output per text");
    }
    const texts = [...input.texts];
    sent.forEach((t, j) => (texts[t.i] = outputs[j].text!));
    return { action: "modify", texts };
  };
  return remoteGuardrail(spec, { checkRequest: (i) => apply(i, "INPUT"), checkResponse: (i) => apply(i, "OUTPUT") });
}
