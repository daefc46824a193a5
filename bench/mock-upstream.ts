// The benchmark's upstream: a minimal OpenAI-shaped server, as cheap and as steady as Node allows
// (keep-alive, TCP_NODELAY, precomputed bodies), so that every arm waits on the same thing.
//   POST .../chat/completions            -> chat.completion JSON after --delay-ms
//   POST .../chat/completions stream:true -> --chunks SSE chunks, one every --chunk-ms, then [DONE]
//   POST /callback                        -> 200: a logging callback's endpoint (generic API webhook)
// Run as its own process: `node --import tsx bench/mock-upstream.ts --port 0 ...`; it prints
// {"port": n} on its first stdout line once listening on 127.0.0.1 (never on other interfaces).
import { fstatSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

export interface MockOptions {
  port: number;
  delayMs: number;
  chunks: number;
  chunkMs: number;
}

const CREATED = 1700000000;

const COMPLETION = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: CREATED,
  model: "bench",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from the benchmark upstream." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
});

function chunk(i: number, last: boolean): string {
  const delta = i === 0 ? { role: "assistant", content: `tok${i} ` } : { content: `tok${i} ` };
  const body = { id: "chatcmpl-bench", object: "chat.completion.chunk", created: CREATED, model: "bench", choices: [{ index: 0, delta, finish_reason: last ? "stop" : null }] };
  return `data: ${JSON.stringify(body)}\n\n`;
}

const USAGE_CHUNK = `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: CREATED, model: "bench", choices: [], usage: { prompt_tokens: 9, completion_tokens: 20, total_tokens: 29 } })}\n\n`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

async function stream(res: ServerResponse, opts: MockOptions, includeUsage: boolean) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let closed = false;
  res.on("close", () => (closed = true));
  for (let i = 0; i < opts.chunks && !closed; i++) {
    if (i > 0) await sleep(opts.chunkMs);
    res.write(chunk(i, i === opts.chunks - 1));
  }
  if (closed) return;
  res.end((includeUsage ? USAGE_CHUNK : "") + "data: [DONE]\n\n");
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: MockOptions) {
  const text = await readBody(req);
  if (req.method === "POST" && req.url?.startsWith("/callback")) {
    // The logging callback of the "observed" arm (a generic API webhook): accepts every batch.
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
    return;
  }
  if (req.method !== "POST" || !req.url?.split("?")[0].endsWith("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: `mock: no route ${req.method} ${req.url}`, type: "invalid_request_error", param: null, code: null } }));
    return;
  }
  let body: { stream?: boolean; stream_options?: { include_usage?: boolean } };
  try {
    body = JSON.parse(text);
  } catch {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "mock: body is not JSON", type: "invalid_request_error", param: null, code: null } }));
    return;
  }
  if (body.stream) return stream(res, opts, body.stream_options?.include_usage === true);
  if (opts.delayMs > 0) await sleep(opts.delayMs);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(COMPLETION) });
  res.end(COMPLETION);
}

export function startMock(opts: MockOptions): Promise<{ port: number; close(): void }> {
  const server = createServer({ keepAlive: true, noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    handle(req, res, opts).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.on("connection", (socket) => socket.setNoDelay(true));
  return new Promise((resolve) => {
    server.listen(opts.port, "127.0.0.1", () => {
      resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      "delay-ms": { type: "string", default: "0" },
      chunks: { type: "string", default: "20" },
      "chunk-ms": { type: "string", default: "10" },
    },
  });
  const { port } = await startMock({ port: Number(values.port), delayMs: Number(values["delay-ms"]), chunks: Number(values.chunks), chunkMs: Number(values["chunk-ms"]) });
  process.stdout.write(JSON.stringify({ port }) + "\n");
  process.on("SIGTERM", () => process.exit(0));
  // Started by the harness, stdin is a pipe it holds: when it goes away, so do we.
  const stdin = fstatSync(0);
  if (stdin.isFIFO() || stdin.isSocket()) process.stdin.on("close", () => process.exit(0)).resume();
}
