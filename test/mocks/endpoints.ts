// Mocks of the providers' other endpoints, in their real wire formats (handled before upstream.ts reads
// a body as JSON, since uploads are multipart with binary files):
//   OpenAI (/openai/v1) and Azure (/azure/openai/deployments/{d}/..., /azure/openai/{files,batches}?api-version=):
//     images/generations (dall-e-3: no usage; gpt-image-*: token usage), audio/transcriptions and
//     /translations (multipart; json, verbose_json, text; the duration read from the WAV's header),
//     audio/speech (audio/mpeg bytes in several chunks, 64 per character), moderations, files (upload,
//     get, content, delete) and batches (create; retrieved completed, with an output file whose lines carry usage)
//   Cohere /cohere/v2/rerank (search units), Jina /jina/v1/rerank, Voyage /voyage/v1/rerank, Together /together/v1/rerank (tokens)
//   Gemini /gemini/v1beta/models/{imagen}:predict
//   Workers AI /cloudflare/.../ai/run/@cf/{flux, whisper, bge-reranker}
// Every request is recorded (multipart bodies as latin1 text).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedRequest } from "./upstream";
import { json, sleep } from "./wire";

/** A 1x1 PNG. */
export const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
export const TRANSCRIPT = "Hello from the mock transcriber.";
/** What each mock output line of a batch reports. */
export const BATCH_LINE_USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
export const SPEECH_BYTES_PER_CHAR = 64;
export const TRANSCRIBE_TOKENS = { type: "tokens", input_tokens: 50, input_token_details: { audio_tokens: 45, text_tokens: 5 }, output_tokens: 9, total_tokens: 59 };

const PATHS = /^\/(openai\/v1\/(images|audio|moderations|files|batches)|azure\/openai\/(deployments\/[^/]+\/(images|audio)|files|batches)|cohere\/v2\/rerank|jina\/v1\/rerank|voyage\/v1\/rerank|together\/v1\/rerank|gemini\/.*:predict$|cloudflare\/.*\/ai\/run\/@cf\/(black-forest-labs|openai\/whisper|baai\/bge-reranker))/;

export const isEndpointsPath = (path: string) => PATHS.test(path);

const files = new Map<string, { meta: Record<string, unknown>; content: Buffer }>();
const batches = new Map<string, Record<string, unknown>>();
let seq = 0;
const nextId = (prefix: string) => `${prefix}-mock${String(++seq).padStart(6, "0")}${Math.random().toString(36).slice(2, 8)}`;

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function formOf(req: IncomingMessage, raw: Buffer): Promise<FormData> {
  return new Request("http://mock/", { method: "POST", headers: { "content-type": String(req.headers["content-type"]) }, body: raw }).formData();
}

/** Seconds of a PCM WAV from its header (the files the tests make). */
function wavSeconds(bytes: Buffer): number {
  if (bytes.subarray(0, 4).toString("latin1") !== "RIFF") return 0;
  const byteRate = bytes.readUInt32LE(28);
  const dataSize = bytes.readUInt32LE(40);
  return Math.round((dataSize / byteRate) * 1000) / 1000;
}

function authorized(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const ok = path.startsWith("/azure/")
    ? req.headers["api-key"] === "azure-upstream-secret-key"
    : path.startsWith("/gemini/")
      ? !!req.headers["x-goog-api-key"]
      : /^Bearer \S+/.test(String(req.headers.authorization ?? ""));
  if (!ok) json(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
  return ok;
}

async function openaiLike(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer) {
  const kind = /\/(images\/generations|audio\/transcriptions|audio\/translations|audio\/speech|moderations|files|batches)(\/.*)?$/.exec(path.replace(/\?.*$/, ""));
  if (!kind) return json(res, 404, { error: { message: `mock: no route ${path}`, type: "invalid_request_error", param: null, code: null } });
  const [, what, rest = ""] = kind;
  const deployment = /\/deployments\/([^/]+)\//.exec(path)?.[1];
  const body = () => JSON.parse(raw.toString("utf8") || "{}");

  if (what === "images/generations") {
    const b = body();
    const model = deployment ?? b.model;
    if (/^error-(\d{3})/.test(model)) return json(res, Number(model.slice(6, 9)), { error: { message: "mock image error", type: "invalid_request_error", param: null, code: null } });
    const n = b.n ?? 1;
    const data = Array.from({ length: n }, () => (b.response_format === "url" ? { url: "https://images.example/mock.png" } : { b64_json: PNG, revised_prompt: `revised: ${b.prompt}` }));
    const usage = /gpt-image/.test(model) ? { input_tokens: 12, output_tokens: 272 * n, total_tokens: 12 + 272 * n, input_tokens_details: { text_tokens: 12, image_tokens: 0 } } : undefined;
    return json(res, 200, { created: 1700000000, data, ...(usage ? { usage } : {}) });
  }
  if (what === "audio/transcriptions" || what === "audio/translations") {
    const form = await formOf(req, raw);
    const failing = /^error-(\d{3})/.exec(String(form.get("model")));
    if (failing) return json(res, Number(failing[1]), { error: { message: `mock transcription error ${failing[1]}`, type: "server_error", param: null, code: null } });
    const file = form.get("file");
    if (!(file instanceof File)) return json(res, 400, { error: { message: "file is required", type: "invalid_request_error", param: "file", code: null } });
    const seconds = wavSeconds(Buffer.from(await file.arrayBuffer()));
    const format = String(form.get("response_format") ?? "json");
    if (format === "text") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      return res.end(`${TRANSCRIPT}\n`);
    }
    // gpt-4o-transcribe bills tokens (audio in, text out); whisper-1 whole seconds.
    const usage = /gpt-4o/.test(String(form.get("model"))) ? TRANSCRIBE_TOKENS : { type: "duration", seconds: Math.ceil(seconds) };
    if (format === "verbose_json") return json(res, 200, { task: what.endsWith("translations") ? "translate" : "transcribe", language: "english", duration: seconds, text: TRANSCRIPT, segments: [], usage });
    return json(res, 200, { text: TRANSCRIPT, usage });
  }
  if (what === "audio/speech") {
    const b = body();
    res.writeHead(200, { "content-type": b.response_format === "wav" ? "audio/wav" : "audio/mpeg", "transfer-encoding": "chunked" });
    const total = String(b.input).length * SPEECH_BYTES_PER_CHAR;
    // Four chunks, apart in time: the gateway must pass them on as they come.
    for (let i = 0; i < 4; i++) {
      const size = Math.ceil(total / 4);
      res.write(Buffer.alloc(Math.min(size, total - i * size), 0x41 + i));
      await sleep(30);
    }
    return res.end();
  }
  if (what === "moderations") {
    const b = body();
    const inputs = Array.isArray(b.input) ? b.input : [b.input];
    const result = () => ({ flagged: false, categories: { harassment: false, violence: false }, category_scores: { harassment: 0.0001, violence: 0.0002 }, category_applied_input_types: { harassment: ["text"], violence: ["text"] } });
    return json(res, 200, { id: "modr-mock123", model: b.model ?? "omni-moderation-latest", results: inputs.map(result) });
  }
  if (what === "files") {
    const id = rest.slice(1).split("/")[0];
    if (!id && req.method === "POST") {
      const form = await formOf(req, raw);
      const file = form.get("file") as File;
      const fileId = nextId("file");
      const meta = { id: fileId, object: "file", bytes: file.size, created_at: 1700000000, filename: file.name, purpose: String(form.get("purpose")), status: "processed" };
      files.set(fileId, { meta, content: Buffer.from(await file.arrayBuffer()) });
      return json(res, 200, meta);
    }
    const stored = files.get(decodeURIComponent(id));
    if (!stored) return json(res, 404, { error: { message: `No such File object: ${id}`, type: "invalid_request_error", param: "id", code: null } });
    if (req.method === "DELETE") {
      files.delete(stored.meta.id as string);
      return json(res, 200, { id: stored.meta.id, object: "file", deleted: true });
    }
    if (rest.endsWith("/content")) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return res.end(stored.content);
    }
    return json(res, 200, stored.meta);
  }
  // batches
  const id = decodeURIComponent(rest.slice(1).split("/")[0]);
  if (!id && req.method === "POST") {
    const b = body();
    const input = files.get(b.input_file_id);
    if (!input) return json(res, 400, { error: { message: `Invalid 'input_file_id': '${b.input_file_id}'.`, type: "invalid_request_error", param: "input_file_id", code: null } });
    const batch = { id: nextId("batch"), object: "batch", endpoint: b.endpoint, errors: null, input_file_id: b.input_file_id, completion_window: b.completion_window, status: "validating", output_file_id: null, error_file_id: null, created_at: 1700000000, request_counts: { total: 0, completed: 0, failed: 0 }, metadata: b.metadata ?? null };
    batches.set(batch.id, batch);
    return json(res, 200, batch);
  }
  const batch = batches.get(id);
  if (!batch) return json(res, 404, { error: { message: `No batch found with id '${id}'.`, type: "invalid_request_error", param: null, code: null } });
  if (rest.endsWith("/cancel")) return json(res, 200, { ...batch, status: "cancelling" });
  if (batch.status === "validating") {
    // The batch runs at once: its output file answers every line with a chat completion. A file that is
    // not JSON lines of requests fails validation, as OpenAI's batches do (status "failed", errors by line).
    const lines = (files.get(batch.input_file_id as string)?.content.toString("utf8") ?? "").split("\n").filter((l) => l.trim());
    const requests = lines.map((line) => {
      try {
        const request = JSON.parse(line);
        return typeof request?.custom_id === "string" && request.body && typeof request.body === "object" ? request : undefined;
      } catch {
        return undefined;
      }
    });
    const bad = lines.length ? requests.findIndex((r) => !r) : 0;
    if (bad >= 0) {
      const error = lines.length ? { code: "invalid_json_line", message: "This line is not parseable as valid JSON.", param: null, line: bad + 1 } : { code: "empty_file", message: "The batch input file is empty.", param: null, line: null };
      Object.assign(batch, { status: "failed", failed_at: 1700000100, errors: { object: "list", data: [error] } });
      return json(res, 200, batch);
    }
    const output = requests.map((request) =>
      JSON.stringify({ id: `batch_req_${request.custom_id}`, custom_id: request.custom_id, response: { status_code: 200, request_id: "req_mock", body: { id: "chatcmpl-mock", object: "chat.completion", model: request.body.model, choices: [{ index: 0, message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" }], usage: BATCH_LINE_USAGE } }, error: null }),
    );
    const outId = nextId("file");
    files.set(outId, { meta: { id: outId, object: "file", bytes: 0, created_at: 1700000000, filename: "batch_output.jsonl", purpose: "batch_output", status: "processed" }, content: Buffer.from(output.join("\n") + "\n") });
    Object.assign(batch, { status: "completed", output_file_id: outId, completed_at: 1700000100, request_counts: { total: lines.length, completed: lines.length, failed: 0 } });
  }
  return json(res, 200, batch);
}

function rerank(res: ServerResponse, path: string, b: Record<string, any>) {
  const docs: unknown[] = b.documents ?? [];
  const scored = docs.map((_, index) => ({ index, relevance_score: Math.round((1 - index / (docs.length + 1)) * 1000) / 1000 })).slice(0, b.top_n ?? b.top_k ?? docs.length);
  if (path.startsWith("/cohere/")) return json(res, 200, { id: "rerank-cohere-mock", results: scored, meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } } });
  const tokens = Math.ceil(String(b.query).length / 4) * docs.length + docs.reduce<number>((n, d) => n + Math.ceil(String(d).length / 4), 0);
  const results = scored.map((r) => ({ ...r, ...(b.return_documents ? { document: path.startsWith("/jina/") ? { text: docs[r.index] } : docs[r.index] } : {}) }));
  if (path.startsWith("/voyage/")) return json(res, 200, { object: "list", data: results, model: b.model, usage: { total_tokens: tokens } });
  return json(res, 200, { id: "rerank-mock", model: b.model, results, usage: { total_tokens: tokens } });
}

function workersAi(res: ServerResponse, path: string, b: Record<string, any>) {
  const envelope = (result: unknown) => json(res, 200, { success: true, errors: [], messages: [], result });
  if (path.includes("black-forest-labs")) return envelope({ image: PNG });
  if (path.includes("bge-reranker")) return envelope({ response: (b.contexts as unknown[]).map((_, id) => ({ id, score: 1 / (id + 1) })).reverse() });
  // Whisper: the old models take bytes as numbers, large-v3-turbo base64.
  const bytes = Array.isArray(b.audio) ? Buffer.from(b.audio) : Buffer.from(String(b.audio), "base64");
  const seconds = wavSeconds(bytes);
  if (path.includes("large-v3-turbo")) return envelope({ text: TRANSCRIPT, transcription_info: { language: "en", duration: seconds }, segments: [{ start: 0, end: seconds, text: TRANSCRIPT }], word_count: 5 });
  return envelope({ text: TRANSCRIPT, word_count: 5, words: [{ word: "Hello", start: 0, end: seconds }], vtt: "WEBVTT" });
}

export async function endpointsMock(req: IncomingMessage, res: ServerResponse, url: URL, requests: RecordedRequest[]) {
  const raw = await readRaw(req);
  requests.push({ path: url.pathname, method: req.method ?? "GET", headers: req.headers, body: raw.toString("latin1"), closedEarly: false, at: Date.now() });
  const path = url.pathname;
  if (!authorized(req, res, path)) return;
  if (path.startsWith("/openai/") || path.startsWith("/azure/")) return openaiLike(req, res, path + url.search, raw);
  const b = raw.length ? JSON.parse(raw.toString("utf8")) : {};
  if (path.endsWith("/rerank")) return rerank(res, path, b);
  if (path.endsWith(":predict")) {
    const n = b.parameters?.sampleCount ?? 1;
    return json(res, 200, { predictions: Array.from({ length: n }, () => ({ bytesBase64Encoded: PNG, mimeType: "image/png" })) });
  }
  return workersAi(res, path, b);
}
