// A mock of the providers' HTTP APIs, speaking their real wire formats (JSON, SSE, NDJSON) and error
// bodies. Behaviour is chosen by the requested model name, so one server serves every test:
//   error-<status>[-context|-policy|-html]  an error in the provider's own shape (429 sends retry-after: 7)
//   slow-<ms>        answer after a delay (a timeout test sees the disconnect in /__requests)
//   garbage          200 with a body that is not JSON
//   stream-break     stream two chunks, then cut the connection
//   stream-slow-<ms> stream with a delay between chunks
//   stream-words-<n>-<ms>  stream n one-token words (" w00", 4 characters each), <ms> apart; usage says n
//   ratelimited-<requests>-<tokens>  a normal answer with OpenAI's x-ratelimit-* headers, that many remaining
//   anything else    a normal answer; with `tools` in the request, a tool call
//   (router scenarios - flaky-<n>, stream-fail-first, ... - are in ./router.ts)
// Every request is recorded; GET /__requests?contains=<text> returns the matching ones.
// MockUpstream.failModel(name, status) makes every request for that model (in the body or the path)
// fail as `error-<status>` would, in the provider's own error shape (end-to-end tests of fallbacks).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { routerScenario } from "./router";
import { cloudflareAccess } from "./access";
import { anthropicMock } from "./anthropic";
import { azureMock } from "./azure";
import { bedrockMock } from "./bedrock";
import { workersAiMock } from "./workers-ai";
import { geminiMock } from "./gemini";
import { inflight } from "./inflight";
import { guardrailsMock } from "./guardrails";
import { openaiResponsesMock } from "./openai-responses";
import { cohereMock } from "./cohere";
import { azureAiMock } from "./azure-ai";
import { vertexMock } from "./vertex";
import { shapeMock } from "./shapes";
import { scriptedWords } from "./wire";
import { observabilityMock } from "./observability";
import { endpointsMock, isEndpointsPath } from "./endpoints";

export interface RecordedRequest {
  path: string;
  method: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The client went away before the answer was complete. */
  closedEarly: boolean;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WORDS = ["Hello", " from", " the", " mock", "."];
const TEXT = WORDS.join("");

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * Embeddings that depend on the text, for model names that ask for them:
 *   semantic-embed*  one dimension per word of SEMANTIC_WORDS (a word counted once): texts sharing those
 *                    words are close ("capital of France" ~ "France's capital"), others are not
 *   text-embed*      [length, sum of char codes]: each input's own vector (batch order can be checked)
 */
const SEMANTIC_WORDS = ["capital", "france", "spain", "weather", "rain", "paris", "city"];
function textEmbedding(model: string, input: unknown): number[] | undefined {
  if (typeof input !== "string") return undefined;
  if (model.startsWith("semantic-embed")) {
    const words = new Set(input.toLowerCase().match(/[a-z]+/g) ?? []);
    return [...SEMANTIC_WORDS.map((w) => ([...words].some((x) => x.startsWith(w)) ? 1 : 0)), 0.001];
  }
  if (model.startsWith("text-embed")) return [input.length, [...input].reduce((n, ch) => n + ch.charCodeAt(0), 0)];
  return undefined;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, indent?: number) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body, null, indent));
}

/** error-<status>[-variant] in OpenAI's error shape. */
function openaiError(res: ServerResponse, model: string): boolean {
  const m = /^error-(\d{3})(?:-(\w+))?/.exec(model);
  if (!m) return false;
  const status = Number(m[1]);
  const variant = m[2];
  if (variant === "html") {
    res.writeHead(status, { "content-type": "text/html" });
    res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    return true;
  }
  const bodies: Record<number, { message: string; type: string; code: string | null; param?: string | null }> = {
    400: variant === "context"
      ? { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", type: "invalid_request_error", code: "context_length_exceeded", param: "messages" }
      : variant === "policy"
        ? { message: "Your request was rejected as a result of our safety system.", type: "invalid_request_error", code: "content_policy_violation" }
        : { message: "Invalid value for 'temperature'.", type: "invalid_request_error", code: null, param: "temperature" },
    401: { message: "Incorrect API key provided: sk-proj-abcdefgh************************wxyz. You can find your API key at https://platform.openai.com/account/api-keys.", type: "invalid_request_error", code: "invalid_api_key" },
    403: { message: "You are not allowed to sample from this model", type: "invalid_request_error", code: null },
    404: { message: "The model `gpt-9` does not exist or you do not have access to it.", type: "invalid_request_error", code: "model_not_found" },
    429: { message: "Rate limit reached for gpt-4o in organization org-123 on requests per min (RPM): Limit 3, Used 3, Requested 1.", type: "requests", code: "rate_limit_exceeded" },
    500: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", code: null },
    503: { message: "The engine is currently overloaded, please try again later", type: "server_error", code: null },
  };
  const body = bodies[status] ?? { message: `mock error ${status}`, type: "server_error", code: null };
  json(res, status, { error: { param: null, ...body } }, status === 429 ? { "retry-after": "7" } : {});
  return true;
}

/** ratelimited-<requests>-<tokens>: the x-ratelimit-* headers OpenAI sends with every answer. */
function rateLimitHeaders(model: string): Record<string, string> {
  const m = /^ratelimited-(\d+)-(\d+)/.exec(model);
  if (!m) return {};
  return {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-requests": m[1],
    "x-ratelimit-remaining-tokens": m[2],
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-reset-tokens": "0s",
  };
}

async function openai(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  const model = String(body.model ?? "");
  if (openaiError(res, model) || routerScenario(res, body)) return;
  const slow = /^slow-(\d+)/.exec(model);
  if (slow) await sleep(Number(slow[1]));
  if (model === "garbage") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("this is not json");
    return;
  }
  let words = scriptedWords(model) ?? WORDS;
  const text = words.join("");
  const limits = rateLimitHeaders(model);
  const created = 1700000000;
  const id = "chatcmpl-mock123";
  const usage = { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };

  if (path.endsWith("/embeddings")) {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    json(res, 200, {
      object: "list",
      model,
      data: inputs.map((input: unknown, index: number) => ({ object: "embedding", index, embedding: textEmbedding(model, input) ?? [0.01 * (index + 1), 0.02, 0.03] })),
      usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
    });
    return;
  }
  const isChat = path.endsWith("/chat/completions");
  const toolCall = isChat && Array.isArray(body.tools) && body.tools.length > 0;
  if (!body.stream) {
    if (!isChat) {
      json(res, 200, { id: "cmpl-mock123", object: "text_completion", created, model, choices: [{ index: 0, text, finish_reason: "stop", logprobs: null }], usage }, limits);
      return;
    }
    const message = toolCall
      ? { role: "assistant", content: null, tool_calls: [{ id: "call_abc", type: "function", function: { name: body.tools[0].function.name, arguments: '{"city":"Paris"}' } }] }
      : { role: "assistant", content: text, refusal: null };
    // OpenAI's API answers pretty-printed, with fields this gateway has no schema for (service_tier).
    json(res, 200, { id, object: "chat.completion", created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: toolCall ? "tool_calls" : "stop" }], usage, service_tier: "default", system_fingerprint: "fp_mock" }, limits, 2);
    return;
  }

  // OpenAI SSE: with include_usage, every chunk carries "usage":null and a last chunk has choices [] + usage.
  const includeUsage = body.stream_options?.include_usage === true;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...limits });
  const send = (chunk: object) => res.write(`data: ${JSON.stringify(includeUsage ? { ...chunk, usage: null } : chunk)}\n\n`);
  const base = isChat ? { id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_mock" } : { id: "cmpl-mock123", object: "text_completion", created, model };
  const counted = /^stream-words-(\d+)-(\d+)/.exec(model);
  if (counted) words = Array.from({ length: Number(counted[1]) }, (_, i) => ` w${String(i % 100).padStart(2, "0")}`);
  if (counted) Object.assign(usage, { completion_tokens: words.length, total_tokens: usage.prompt_tokens + words.length });
  const gap = Number(/^stream-slow-(\d+)/.exec(model)?.[1] ?? counted?.[2] ?? 0);
  if (isChat) send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] });
  if (toolCall) {
    const name = body.tools[0].function.name;
    send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_abc", type: "function", function: { name, arguments: "" } }] }, finish_reason: null }] });
    for (const part of ['{"city"', ':"Paris"}']) send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: part } }] }, finish_reason: null }] });
  } else {
    for (const [i, word] of words.entries()) {
      if (gap) await sleep(gap);
      if (res.destroyed) return;
      send({ ...base, choices: [isChat ? { index: 0, delta: { content: word }, logprobs: null, finish_reason: null } : { index: 0, text: word, logprobs: null, finish_reason: null }] });
      if (model === "stream-break" && i === 1) {
        await sleep(50); // let the chunks so far reach the client, then cut the connection
        res.socket?.destroy();
        return;
      }
    }
  }
  send({ ...base, choices: [isChat ? { index: 0, delta: {}, logprobs: null, finish_reason: toolCall ? "tool_calls" : "stop" } : { index: 0, text: "", logprobs: null, finish_reason: "stop" }] });
  if (includeUsage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  res.end("data: [DONE]\n\n");
}

/**
 * /api/generate asked for JSON with LiteLLM's function prompt (`ollama/` with tools): a model
 * following it answers `{"name","arguments"}`, or, once a tool result is in the prompt, other JSON.
 */
function promptedToolAnswer(body: Record<string, any>): string | undefined {
  const prompt = String(body.prompt ?? "");
  if (body.format !== "json" || !prompt.includes("Produce JSON OUTPUT ONLY!")) return undefined;
  if (prompt.includes("Tool Calls:")) return JSON.stringify({ answer: TEXT });
  const name = /available to you:\n\{"type":"function","function":\{"name":"([^"]+)"/.exec(prompt)?.[1] ?? "unknown";
  return JSON.stringify({ name, arguments: { city: "Paris" } });
}

async function ollama(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>) {
  const model = String(body.model ?? "");
  const status = Number(/^error-(\d{3})/.exec(model)?.[1] ?? 0);
  if (status) {
    json(res, status, { error: status === 404 ? `model "${model}" not found, try pulling it first` : "mock ollama failure" });
    return;
  }
  const slow = /^slow-(\d+)/.exec(model);
  if (slow) await sleep(Number(slow[1]));
  const created_at = "2026-11-21T00:00:00.000Z";
  const counts = { prompt_eval_count: 26, eval_count: 5, total_duration: 5000000, eval_duration: 4000000 };
  if (path === "/api/embed") {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    json(res, 200, { model, embeddings: inputs.map(() => [0.1, 0.2, 0.3]), total_duration: 100, load_duration: 10, prompt_eval_count: 3 * inputs.length });
    return;
  }
  const isChat = path === "/api/chat";
  const toolCall = isChat && Array.isArray(body.tools) && body.tools.length > 0;
  const prompted = path === "/api/generate" ? promptedToolAnswer(body) : undefined;
  if (prompted !== undefined) {
    if (!body.stream) return json(res, 200, { model, created_at, response: prompted, done: true, done_reason: "stop", ...counts });
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const half = Math.floor(prompted.length / 2);
    for (const piece of [prompted.slice(0, half), prompted.slice(half)]) res.write(JSON.stringify({ model, created_at, response: piece, done: false }) + "\n");
    res.end(JSON.stringify({ model, created_at, response: "", done: true, done_reason: "stop", ...counts }) + "\n");
    return;
  }
  if (!body.stream) {
    const final = isChat
      ? { model, created_at, message: toolCall ? { role: "assistant", content: "", tool_calls: [{ function: { name: body.tools[0].function.name, arguments: { city: "Paris" } } }] } : { role: "assistant", content: TEXT }, done: true, done_reason: "stop", ...counts }
      : { model, created_at, response: TEXT, done: true, done_reason: "stop", context: [1, 2, 3], ...counts };
    json(res, 200, final);
    return;
  }
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  const line = (o: object) => res.write(JSON.stringify(o) + "\n");
  if (toolCall) {
    line({ model, created_at, message: { role: "assistant", content: "", tool_calls: [{ function: { name: body.tools[0].function.name, arguments: { city: "Paris" } } }] }, done: false });
  } else {
    for (const [i, word] of WORDS.entries()) {
      line(isChat ? { model, created_at, message: { role: "assistant", content: word }, done: false } : { model, created_at, response: word, done: false });
      if (model === "stream-break" && i === 1) {
        await sleep(50);
        res.socket?.destroy();
        return;
      }
      if (model === "stream-error" && i === 1) {
        line({ error: "an error was encountered while running the model" });
        res.end();
        return;
      }
    }
  }
  res.end(JSON.stringify(isChat ? { model, created_at, message: { role: "assistant", content: "" }, done: true, done_reason: "stop", ...counts } : { model, created_at, response: "", done: true, done_reason: "stop", ...counts }) + "\n");
}

export interface MockUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Every request for `model` fails with `status` from now on (undefined: answers again). */
  failModel(model: string, status: number | undefined): void;
  close(): Promise<void>;
}

/** Rewrites a request for a model told to fail into one for `error-<status>`, which every provider mock answers in its own error shape. */
function forcedFailure(failing: ReadonlyMap<string, number>, path: string, body: Record<string, any>): string {
  for (const [model, status] of failing) {
    if (body.model === model) body.model = `error-${status}`;
    const inPath = `/models/${model}:`;
    if (path.includes(inPath)) return path.replace(inPath, `/models/error-${status}:`);
  }
  return path;
}

export async function startMockUpstream(port = 0): Promise<MockUpstream> {
  const requests: RecordedRequest[] = [];
  const failing = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://mock");
    if (url.pathname === "/__requests") {
      const contains = url.searchParams.get("contains");
      json(res, 200, contains ? requests.filter((r) => r.body.includes(contains)) : requests);
      return;
    }
    // Images, audio, moderations, rerank, files and batches (multipart uploads: read as bytes there).
    if (isEndpointsPath(url.pathname)) return endpointsMock(req, res, url, requests).catch((err) => (res.headersSent ? res.destroy() : json(res, 500, { error: { message: String(err) } })));
    const text = await readBody(req);
    const record: RecordedRequest = { path: url.pathname, method: req.method ?? "GET", headers: req.headers, body: text, closedEarly: false, at: Date.now() };
    requests.push(record);
    if (requests.length > 5000) requests.splice(0, 1000);
    res.on("close", () => {
      if (!res.writableFinished) record.closedEarly = true;
    });
    // Routes that take non-JSON bodies (a form) or answer whatever was sent.
    if (url.pathname.startsWith("/vertex/")) {
      const vertexPath = failing.size ? forcedFailure(failing, url.pathname, {}) : url.pathname;
      return void (await vertexMock(req, res, vertexPath, text).catch((err) => json(res, 500, { error: { message: String(err) } })));
    }
    if (url.pathname.startsWith("/shape/")) return shapeMock(res, url.pathname);
    // Logging services take NDJSON and S3 objects too: routed before the JSON parse.
    if (url.pathname.startsWith("/observability/")) {
      await observabilityMock(req, res, url.pathname, text).catch((err) => json(res, 500, { message: String(err) }));
      return;
    }
    let body: Record<string, any> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      json(res, 400, { error: { message: "mock: body is not JSON", type: "invalid_request_error", param: null, code: null } });
      return;
    }
    const path = failing.size ? forcedFailure(failing, url.pathname, body) : url.pathname;
    try {
      if (/^\/(openai|azure)\/.*\/responses(\/|$)/.test(path)) await openaiResponsesMock(req, res, path, body);
      else if (path.startsWith("/openai/")) await openai(req, res, path, body);
      else if (path.startsWith("/api/")) await ollama(req, res, path, body);
      else if (path.startsWith("/anthropic/")) await anthropicMock(req, res, path, body);
      else if (path.startsWith("/gemini/")) await geminiMock(req, res, path, body);
      else if (path.startsWith("/azure/")) await azureMock(req, res, path, body);
      else if (path.startsWith("/bedrock/")) await bedrockMock(req, res, path, body, text);
      else if (path.startsWith("/cloudflare/")) await workersAiMock(req, res, path, body);
      else if (path.startsWith("/tunnel/")) cloudflareAccess(req, res) && (await ollama(req, res, path.slice("/tunnel".length), body));
      else if (path.startsWith("/inflight/")) await inflight(req, res, path, body);
      else if (path.startsWith("/guardrails/")) await guardrailsMock(req, res, path, body, text);
      else if (path.startsWith("/cohere/")) await cohereMock(req, res, path, body);
      else if (path.startsWith("/azure-ai/")) await azureAiMock(req, res, path, body);
      else json(res, 404, { error: { message: `mock: no route ${url.pathname}`, type: "invalid_request_error", param: null, code: null } });
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: { message: String(err), type: "server_error", param: null, code: null } });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    failModel: (model, status) => (status === undefined ? failing.delete(model) : failing.set(model, status)),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
