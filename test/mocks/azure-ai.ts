// Mock of Azure AI Foundry's model inference API under /azure-ai (api_base: <mock>/azure-ai/models,
// or <mock>/azure-ai for a serverless endpoint): POST .../chat/completions and .../embeddings in
// OpenAI's format, key as `api-key` or Bearer. As strict as the real API where a translation could
// slip: parameters it does not define are refused (422) unless `extra-parameters: pass-through`, and
// content lists without images are refused by text-only models.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AZURE_AI_KEY } from "./credentials";
import { json, requestedError, WORDS, TEXT } from "./wire";

const DEFINED = new Set(["messages", "model", "stream", "frequency_penalty", "presence_penalty", "temperature", "top_p", "max_tokens", "response_format", "stop", "tools", "tool_choice", "seed"]);
const usage = { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 };
const error = (res: ServerResponse, status: number, code: string, message: string) => json(res, status, { error: { code, message, status } });

export async function azureAiMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  const bearer = req.headers.authorization === `Bearer ${AZURE_AI_KEY}`;
  if (!bearer && req.headers["api-key"] !== AZURE_AI_KEY) return error(res, 401, "Unauthorized", "Access denied due to invalid subscription key or wrong API endpoint.");
  const m = /^\/azure-ai(\/models)?\/(chat\/completions|embeddings)$/.exec(path);
  if (!m) return error(res, 404, "NotFound", `Resource not found: ${path}`);
  const failure = requestedError(String(body.model ?? ""));
  if (failure?.status === 429) return json(res, 429, { error: { code: "Too Many Requests", message: "Rate limit is exceeded. Try again in 3 seconds.", status: 429 } }, { "retry-after": "3" });
  if (failure) return error(res, failure.status, "InternalServerError", `mock azure_ai error ${failure.status}`);

  if (m[2] === "embeddings") {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return json(res, 200, { id: "emb-az-1", object: "list", model: body.model, data: inputs.map((_: unknown, index: number) => ({ object: "embedding", index, embedding: [0.75, 0.5] })), usage: { prompt_tokens: 4, total_tokens: 4 } });
  }
  if (req.headers["extra-parameters"] !== "pass-through") {
    const extra = Object.keys(body).filter((k) => !DEFINED.has(k));
    if (extra.length) {
      return error(res, 422, "Invalid input", `422 Client Error: Unprocessable Entity. Extra inputs are not permitted: ${extra.join(", ")}. Pass the header extra-parameters: pass-through to send them to the model.`);
    }
  }
  for (const msg of body.messages ?? []) {
    if (Array.isArray(msg.content) && !msg.content.some((p: any) => p.type === "image_url")) return error(res, 400, "Bad Request", "messages: content must be a string for this model");
  }
  const base = { id: "chatcmpl-azai-1", created: 1700000000, model: body.model ?? "Mistral-large-2411" };
  const toolCall = Array.isArray(body.tools) && body.tools.length && body.messages.at(-1)?.role !== "tool";
  const message = toolCall
    ? { role: "assistant", content: null, tool_calls: [{ id: "call_az1", type: "function", function: { name: body.tools[0].function.name, arguments: '{"city":"Paris"}' } }] }
    : { role: "assistant", content: TEXT };
  if (!body.stream) return json(res, 200, { ...base, object: "chat.completion", choices: [{ index: 0, message, finish_reason: toolCall ? "tool_calls" : "stop" }], usage });
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  for (const word of WORDS) send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
  // Usage on the last chunk, unasked (the gateway reads it when an endpoint sends it).
  send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage });
  res.end("data: [DONE]\n\n");
}
