// Mock of the Workers AI REST API under /cloudflare (api_base: <mock>/cloudflare/client/v4/accounts/<id>/ai/run):
// POST .../ai/run/<model> with a Bearer token, answering in the REST envelope {result, success, errors, messages},
// SSE for stream: true. Model names: @cf/test/capacity (3040), anything else answers text.
import type { IncomingMessage, ServerResponse } from "node:http";
import { json, WORDS, TEXT } from "./wire";

export async function workersAiMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  const m = /^\/cloudflare\/client\/v4\/accounts\/([^/]+)\/ai\/run\/(.+)$/.exec(path);
  if (!m) return json(res, 404, { success: false, errors: [{ code: 7000, message: "No route for that URI" }], messages: [], result: null });
  if (req.headers.authorization !== "Bearer cf-api-token-mock") return json(res, 401, { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null });
  const model = m[2];
  if (model === "@cf/test/capacity") return json(res, 429, { success: false, errors: [{ code: 3040, message: "Capacity temporarily exceeded, please try again." }], messages: [], result: null });
  const usage = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 };
  if (Array.isArray(body.text)) return json(res, 200, { success: true, errors: [], messages: [], result: { shape: [body.text.length, 2], data: body.text.map(() => [0.5, 0.5]) } });
  if (!body.stream) return json(res, 200, { success: true, errors: [], messages: [], result: { response: TEXT, usage } });
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const word of WORDS) res.write(`data: ${JSON.stringify({ response: word, p: "abc" })}\n\n`);
  res.write(`data: ${JSON.stringify({ response: "", usage })}\n\n`);
  res.end("data: [DONE]\n\n");
}
