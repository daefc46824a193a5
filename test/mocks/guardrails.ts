// Mocks of the third-party guard services under /guardrails/<service>, speaking their real APIs
// (request shapes validated, answers shaped as the services answer) so each guardrail's mapping is
// checked against the wire format, not against itself:
//   /guardrails/presidio-analyzer/analyze      Presidio analyzer: emails, "John Smith" (PERSON), US phone numbers
//   /guardrails/presidio-anonymizer/anonymize  Presidio anonymizer: the default "replace" operator (<ENTITY_TYPE>)
//   /guardrails/aporia/<project>/validate      Aporia: blocks "forbidden topic"
//   /guardrails/lakera/v2/guard                Lakera Guard v2: "ignore all previous instructions" is a prompt attack,
//                                              "4111 1111 1111 1111" a pii/credit_card detection
//   /guardrails/bedrock/guardrail/{id}/version/{v}/apply
//                                              Bedrock ApplyGuardrail (SigV4 checked as AWS does): "stock tips" is a
//                                              denied topic (BLOCKED), emails are ANONYMIZED ({EMAIL})
//   /guardrails/openai/v1/moderations          OpenAI moderations: "kill" is violence
//   /guardrails/generic/beta/litellm_basic_guardrail_api
//                                              LiteLLM's generic guardrail API: "BLOCK_ME" blocks, "secret-project" is masked
//   /guardrails/down/...                       any of them failing with a 500
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkSignature } from "./bedrock";
import { APORIA_KEY, GENERIC_API_KEY, LAKERA_KEY, MODERATION_KEY } from "./credentials";
import { json } from "./wire";


const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\(?\b\d{3}\)?[ -]\d{3}-\d{4}\b/g;
const PERSON = /John Smith/g;

interface Found {
  entity_type: string;
  start: number;
  end: number;
  score: number;
}

function analyze(text: string, entities?: string[]): Found[] {
  const out: Found[] = [];
  for (const [entity_type, re, score] of [["EMAIL_ADDRESS", EMAIL, 1], ["PHONE_NUMBER", PHONE, 0.75], ["PERSON", PERSON, 0.85]] as const) {
    if (entities && !entities.includes(entity_type)) continue;
    for (const m of text.matchAll(re)) out.push({ entity_type, start: m.index!, end: m.index! + m[0].length, score });
  }
  return out.sort((a, b) => a.start - b.start);
}

const bad = (res: ServerResponse, message: string) => json(res, 400, { error: message });

function presidio(res: ServerResponse, path: string, body: Record<string, any>) {
  if (path.endsWith("/analyze")) {
    if (typeof body.text !== "string" || !body.text) return json(res, 400, { error: "No text provided" });
    if (typeof body.language !== "string") return json(res, 400, { error: "No language provided" });
    const found = analyze(body.text, body.entities);
    return json(res, 200, found.map((f) => ({ ...f, analysis_explanation: null, recognition_metadata: { recognizer_name: "MockRecognizer", recognizer_identifier: "mock-1" } })));
  }
  if (path.endsWith("/anonymize")) {
    if (typeof body.text !== "string" || !Array.isArray(body.analyzer_results)) return bad(res, "text and analyzer_results are required");
    let text: string = body.text;
    const items = [];
    for (const r of [...body.analyzer_results].sort((a, b) => b.start - a.start)) {
      const replacement = `<${r.entity_type}>`;
      text = text.slice(0, r.start) + replacement + text.slice(r.end);
      items.push({ start: r.start, end: r.start + replacement.length, entity_type: r.entity_type, text: replacement, operator: "replace" });
    }
    return json(res, 200, { text, items: items.reverse() });
  }
  json(res, 404, { error: "not found" });
}

function aporia(req: IncomingMessage, res: ServerResponse, body: Record<string, any>) {
  if (req.headers["x-aporia-api-key"] !== APORIA_KEY) return json(res, 401, { detail: "Invalid API key" });
  if (!["prompt", "response", "both"].includes(body.validation_target)) return json(res, 422, { detail: "validation_target is required" });
  const texts = [...(body.messages ?? []).map((m: any) => m.content), body.response ?? ""];
  const block = texts.some((t: string) => /forbidden topic/i.test(t));
  json(res, 200, {
    action: block ? "block" : "passthrough",
    revised_response: block ? "Aporia detected and blocked a forbidden topic" : null,
    explain_log: null,
    policy_execution_result: { policy_log: [], action: { type: block ? "block" : "passthrough" } },
  });
}

function lakera(req: IncomingMessage, res: ServerResponse, body: Record<string, any>) {
  if (req.headers.authorization !== `Bearer ${LAKERA_KEY}`) return json(res, 401, { error: "Unauthorized" });
  if (!Array.isArray(body.messages) || !body.messages.every((m: any) => typeof m.role === "string" && typeof m.content === "string")) {
    return json(res, 400, { error: "messages must be a list of {role, content}" });
  }
  const breakdown: Record<string, unknown>[] = [];
  const payload: Record<string, unknown>[] = [];
  body.messages.forEach((m: { content: string }, message_id: number) => {
    if (/ignore all previous instructions/i.test(m.content)) {
      breakdown.push({ project_id: body.project_id ?? "project-default", policy_id: "policy-default", detector_id: "detector-prompt-attack", detector_type: "prompt_attack", detected: true, message_id });
    }
    for (const c of m.content.matchAll(/4111 1111 1111 1111/g)) {
      breakdown.push({ project_id: "project-default", policy_id: "policy-default", detector_id: "detector-pii-cc", detector_type: "pii/credit_card", detected: true, message_id });
      payload.push({ start: c.index, end: c.index! + c[0].length, text: c[0], detector_type: "pii/credit_card", labels: [], message_id });
    }
  });
  json(res, 200, {
    flagged: breakdown.length > 0,
    payload: body.payload ? payload : undefined,
    breakdown: body.breakdown ? breakdown : undefined,
    dev_info: body.dev_info ? { git_revision: "mock", git_timestamp: "2026-01-01T00:00:00Z", model_version: "lakera-guard-1", version: "2.0.0" } : undefined,
    metadata: { request_uuid: "7c4b1e0e-0000-4000-8000-000000000000" },
  });
}

async function bedrock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>, raw: string) {
  const exception = (status: number, type: string, message: string) => json(res, status, { message }, { "x-amzn-errortype": type });
  const problem = await checkSignature(req, raw);
  if (problem) return exception(403, problem, "The request signature we calculated does not match the signature you provided.");
  if (!/^\/guardrail\/[^/]+\/version\/[^/]+\/apply$/.test(path)) return exception(404, "ResourceNotFoundException", "no such guardrail");
  for (const key of Object.keys(body)) if (!["source", "content", "outputScope"].includes(key)) return exception(400, "ValidationException", `extraneous key [${key}] is not permitted`);
  if (!["INPUT", "OUTPUT"].includes(body.source) || !Array.isArray(body.content) || !body.content.length) return exception(400, "ValidationException", "source and content are required");
  const texts: string[] = body.content.map((c: any) => c?.text?.text);
  if (texts.some((t) => typeof t !== "string")) return exception(400, "ValidationException", "content blocks must be text");
  const usage = { topicPolicyUnits: 1, contentPolicyUnits: 1, wordPolicyUnits: 1, sensitiveInformationPolicyUnits: 1, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 };
  if (texts.some((t) => /stock tips/i.test(t))) {
    return json(res, 200, {
      usage, action: "GUARDRAIL_INTERVENED", actionReason: "Guardrail blocked.", outputs: [{ text: "Sorry, the model cannot answer this question." }],
      assessments: [{ topicPolicy: { topics: [{ name: "Investment advice", type: "DENY", action: "BLOCKED", detected: true }] } }],
    });
  }
  const emails = texts.flatMap((t) => [...t.matchAll(EMAIL)].map((m) => m[0]));
  if (emails.length) {
    return json(res, 200, {
      usage, action: "GUARDRAIL_INTERVENED", actionReason: "Guardrail masked.",
      outputs: texts.map((t) => ({ text: t.replace(EMAIL, "{EMAIL}") })),
      assessments: [{ sensitiveInformationPolicy: { piiEntities: emails.map((match) => ({ type: "EMAIL", match, action: "ANONYMIZED", detected: true })) } }],
    });
  }
  json(res, 200, { usage, action: "NONE", actionReason: "No action.", outputs: [], assessments: [{}] });
}

function moderation(req: IncomingMessage, res: ServerResponse, body: Record<string, any>) {
  if (req.headers.authorization !== `Bearer ${MODERATION_KEY}`) return json(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
  const inputs: unknown[] = typeof body.input === "string" ? [body.input] : Array.isArray(body.input) ? body.input : [];
  if (!inputs.length || inputs.some((i) => typeof i !== "string")) return json(res, 400, { error: { message: "input must be a string or a list of strings", type: "invalid_request_error", param: "input", code: null } });
  const categories = ["harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic"];
  json(res, 200, {
    id: "modr-mock-1",
    model: body.model ?? "omni-moderation-latest",
    results: inputs.map((text) => {
      const violent = /\bkill\b/i.test(text as string);
      return {
        flagged: violent,
        categories: Object.fromEntries(categories.map((c) => [c, violent && c === "violence"])),
        category_scores: Object.fromEntries(categories.map((c) => [c, violent && c === "violence" ? 0.93 : 0.0001])),
        category_applied_input_types: Object.fromEntries(categories.map((c) => [c, ["text"]])),
      };
    }),
  });
}

function generic(req: IncomingMessage, res: ServerResponse, body: Record<string, any>) {
  if (req.headers["x-api-key"] !== GENERIC_API_KEY) return json(res, 401, { detail: "missing or wrong x-api-key" });
  if (!["request", "response"].includes(body.input_type) || !Array.isArray(body.texts)) return json(res, 422, { detail: "input_type and texts are required" });
  const texts: string[] = body.texts;
  if (texts.some((t) => t.includes("BLOCK_ME"))) return json(res, 200, { action: "BLOCKED", blocked_reason: "policy 7: the text asks for something we do not allow" });
  if (texts.some((t) => t.includes("secret-project"))) return json(res, 200, { action: "GUARDRAIL_INTERVENED", texts: texts.map((t) => t.replaceAll("secret-project", "[REDACTED]")) });
  json(res, 200, { action: "NONE" });
}

export async function guardrailsMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>, raw: string) {
  const [, , service, ...rest] = path.split("/");
  const sub = `/${rest.join("/")}`;
  if (service === "down") return json(res, 500, { error: "internal error in the guard service" });
  if (service === "presidio-analyzer" || service === "presidio-anonymizer") return presidio(res, sub, body);
  if (service === "aporia") return aporia(req, res, body);
  if (service === "lakera" && sub === "/v2/guard") return lakera(req, res, body);
  if (service === "bedrock") return bedrock(req, res, sub, body, raw);
  if (service === "openai" && sub === "/v1/moderations") return moderation(req, res, body);
  if (service === "generic" && sub === "/beta/litellm_basic_guardrail_api") return generic(req, res, body);
  json(res, 404, { error: `mock: no guard service at ${path}` });
}
