// Mock of Azure OpenAI under /azure (api_base: <mock>/azure): /openai/deployments/{deployment}/...
// ?api-version=... and /openai/v1/..., key in `api-key`. Answers like Azure: OpenAI's format plus
// prompt_filter_results / content_filter_results annotations (and a choice-less first stream chunk).
// Deployment names: error-<status>[-context], filtered (prompt refused by the content filter),
// filtered-output (answer stopped with finish_reason content_filter).
import type { IncomingMessage, ServerResponse } from "node:http";
import { json, requestedError, WORDS, TEXT } from "./wire";

const filterOk = { hate: { filtered: false, severity: "safe" }, self_harm: { filtered: false, severity: "safe" }, sexual: { filtered: false, severity: "safe" }, violence: { filtered: false, severity: "safe" } };
const usage = { prompt_tokens: 13, completion_tokens: 5, total_tokens: 18, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };

export async function azureMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  const url = new URL(req.url ?? "/", "http://mock");
  const m = /^\/azure\/openai\/(?:deployments\/([^/]+)|v1)\/(chat\/completions|completions|embeddings)$/.exec(path);
  if (!m || (m[1] && !url.searchParams.get("api-version"))) return json(res, 404, { error: { code: "404", message: "Resource not found" } });
  if (req.headers["api-key"] !== "azure-upstream-secret-key" && req.headers.authorization !== "Bearer entra-token") {
    return json(res, 401, { error: { code: "401", message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource." } });
  }
  const deployment = m[1] ? decodeURIComponent(m[1]) : String(body.model);
  const failure = requestedError(deployment);
  if (failure?.status === 429) {
    return json(res, 429, { error: { code: "429", message: "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2025-04-01-preview have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds." } }, { "retry-after": "6", "retry-after-ms": "6000" });
  }
  if (failure?.variant === "context") {
    return json(res, 400, { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } });
  }
  if (failure) return json(res, failure.status, { error: { code: String(failure.status), message: `mock azure error ${failure.status}` } });
  if (deployment === "filtered") {
    return json(res, 400, {
      error: {
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
        type: null,
        param: "prompt",
        code: "content_filter",
        status: 400,
        innererror: { code: "ResponsibleAIPolicyViolation", content_filter_result: { ...filterOk, violence: { filtered: true, severity: "high" } } },
      },
    });
  }
  const kind = m[2];
  if (kind === "embeddings") {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return json(res, 200, { object: "list", model: "text-embedding-3-small", data: inputs.map((_: unknown, index: number) => ({ object: "embedding", index, embedding: [0.5, 0.25] })), usage: { prompt_tokens: 3, total_tokens: 3 } });
  }
  const finish = deployment === "filtered-output" ? "content_filter" : "stop";
  const base = { id: "chatcmpl-azure-1", created: 1700000000, model: "gpt-4o-2024-11-20", system_fingerprint: "fp_azure" };
  if (!body.stream) {
    if (kind === "completions") return json(res, 200, { ...base, object: "text_completion", choices: [{ index: 0, text: TEXT, finish_reason: finish, logprobs: null }], usage });
    return json(res, 200, {
      ...base,
      object: "chat.completion",
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterOk }],
      choices: [{ index: 0, message: { role: "assistant", content: TEXT }, finish_reason: finish, logprobs: null, content_filter_results: filterOk }],
      usage,
    });
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  // Azure's first chunk: no choices, only the prompt's filter results (keys in Azure's order).
  send({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterOk }] });
  send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }], usage: null });
  for (const word of WORDS) send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: word }, finish_reason: null, content_filter_results: filterOk }], usage: null });
  send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: finish }], usage: null });
  if (body.stream_options?.include_usage) send({ ...base, object: "chat.completion.chunk", choices: [], usage });
  res.end("data: [DONE]\n\n");
}
