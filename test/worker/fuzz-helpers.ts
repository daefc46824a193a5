// Shared by the fuzz tests (fuzz-llm.test.ts, fuzz-admin.test.ts): the upstreams that count what reaches them,
// the config, and sending one request with its checks (the pieces requests are made of: fuzz-arbitraries.ts).
// Requests refer to ids the gateway handed out earlier in the run (files, batches, responses, cache keys, stored
// models, MCP servers, UI sessions) as `@@kind:n@@`, filled in from a pool when sent, so reads and deletes reach
// real objects.
import fc from "fast-check";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { expect } from "vitest";
import { z } from "zod";
import { wavBytes } from "../../src/lib/audio";
import type { GatewayConfigInput } from "../../src/schema/config";
import { MASTER_KEY, MOCK_URL, testGateway, type TestGateway } from "./helpers";
import { INPUT_PRICE, OUTPUT_PRICE, flushKey, keyGuard, newKey, testEnv } from "./keys-helpers";
import type { Auth, FormParts, IdKind } from "./fuzz-arbitraries";

const SEED = 24;

// ---------------------------------------------------------------- upstreams

export interface UpstreamLog {
  /** Upstream requests of the current client request (through the binding, or around it). */
  calls: number;
  statuses: number[];
  /** tools/call requests that reached the MCP server during the current client request. */
  toolCalls: number;
  /** Upstream URLs outside the deployments' api_base paths (a client's name must never steer a request elsewhere). */
  strays: string[];
  /** Requests to a deployment's origin that went around its `vpc_binding` (the global fetch). */
  bypassed: string[];
}

const newLog = (): UpstreamLog => ({ calls: 0, statuses: [], toolCalls: 0, strays: [], bypassed: [] });

const API_BASES = { openai: `${MOCK_URL}/openai/v1/`, anthropic: `${MOCK_URL}/anthropic/v1/`, gemini: `${MOCK_URL}/gemini/v1beta/`, cohere: `${MOCK_URL}/cohere/v2/` };

const realFetch = globalThis.fetch.bind(globalThis);

/** The model the mock answers normally at each path (its error scenarios are picked by model name, which a client's wildcard name could pick). */
function plainModel(url: string): string {
  if (url.startsWith(API_BASES.anthropic)) return "claude-fuzz";
  if (url.startsWith(API_BASES.cohere)) return "rerank-v3.5";
  if (url.includes("/images/")) return "dall-e-3";
  if (url.includes("/audio/speech")) return "tts-1";
  if (url.includes("/audio/")) return "whisper-1";
  if (url.includes("/moderations")) return "omni-moderation-latest";
  return "gpt-fuzz";
}

function plainBody(url: string, body: BodyInit | null | undefined): BodyInit | null | undefined {
  if (body instanceof FormData) {
    if (!body.has("model")) return body;
    const form = new FormData();
    for (const [name, value] of body) form.append(name, name === "model" ? plainModel(url) : value);
    return form;
  }
  if (typeof body !== "string" || url.startsWith(API_BASES.gemini)) return body;
  const json = JSON.parse(body) as Record<string, unknown>;
  if (typeof json.model === "string") json.model = plainModel(url);
  return JSON.stringify(json);
}

/** The deployments' upstream: a binding (as a Workers VPC binding would be) that counts calls, then asks the mock for a plain answer. */
function countingUpstream(log: UpstreamLog): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      log.calls++;
      // As the platform would resolve it (dot segments, encoded dots).
      let url = new URL(String(input)).href;
      if (!Object.values(API_BASES).some((base) => url.startsWith(base))) log.strays.push(url);
      if (new Headers(init?.headers).get("upgrade")?.toLowerCase() === "websocket") return realtimeSession(log);
      if (url.startsWith(API_BASES.gemini)) url = url.replace(/^(.*?\/v1beta\/).*?(:\w+(\?.*)?)$/, "$1models/gemini-fuzz$2");
      const res = await realFetch(url, { ...init, body: plainBody(url, init?.body) });
      log.statuses.push(res.status);
      return res;
    },
  } as Fetcher;
}

/** An OpenAI Realtime session's upstream end: accepted, it says session.created (the client side closes it). */
function realtimeSession(log: UpstreamLog): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.send(JSON.stringify({ type: "session.created", event_id: "event_fuzz", session: { id: "sess_fuzz", object: "realtime.session", model: "gpt-fuzz" } }));
  log.statuses.push(101);
  return new Response(null, { status: 101, webSocket: client });
}

/** The MCP server of the config (`fuzzmcp`), on a host only the fetch below knows: the official SDK's server, stateless. */
export const MCP_URL = "http://mcp.fuzz.test/mcp";

async function mcpServer(req: Request, log: UpstreamLog): Promise<Response> {
  const body = req.method === "POST" ? await req.clone().text() : "";
  if (/"method"\s*:\s*"tools\/call"/.test(body)) log.toolCalls++;
  const server = new McpServer({ name: "fuzzmcp", version: "1.0.0" });
  server.registerTool("echo", { description: "Echoes text", inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text" as const, text }] }));
  server.registerTool("add", { description: "Adds", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: "text" as const, text: String(a + b) }] }));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(req);
}

/**
 * Watches the global fetch while the fuzz runs: serves the MCP host, and notes any request to the mock's
 * origin, which every deployment here reaches through its binding only. Returns the restore function.
 */
function watchGlobalFetch(log: UpstreamLog): () => void {
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith("http://mcp.fuzz.test/")) return mcpServer(new Request(input, init), log);
    if (url.startsWith(MOCK_URL)) {
      log.calls++;
      log.bypassed.push(url.slice(MOCK_URL.length));
      const res = await realFetch(input, init);
      log.statuses.push(res.status);
      return res;
    }
    return realFetch(input, init);
  }) as typeof fetch;
  return () => {
    globalThis.fetch = realFetch;
  };
}

// ---------------------------------------------------------------- the config

const priced = { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE };
const bound = (model: string, api_base: string, api_key: string, extra: Record<string, unknown> = {}) => ({ model, api_base, api_key, vpc_binding: "FUZZ_UPSTREAM", ...extra });
const openai = (model: string, extra: Record<string, unknown> = {}) => bound(`openai/${model}`, `${MOCK_URL}/openai/v1`, "sk-upstream-fuzz", extra);

/** Every kind of deployment the routes need, each through the counting binding. */
export const MODEL_LIST = [
  { model_name: "gpt", litellm_params: openai("gpt-fuzz", priced) },
  { model_name: "wild/*", litellm_params: openai("*", priced) },
  { model_name: "claude", litellm_params: bound("anthropic/claude-fuzz", `${MOCK_URL}/anthropic`, "sk-ant-fuzz", priced) },
  { model_name: "gem/*", litellm_params: bound("gemini/*", `${MOCK_URL}/gemini`, "gemini-fuzz-key", priced) },
  // Priced by the bundled table: per image, per character, per second, free; Cohere per search.
  { model_name: "dalle", litellm_params: openai("dall-e-3") },
  { model_name: "tts", litellm_params: openai("tts-1") },
  { model_name: "whisper", litellm_params: openai("whisper-1") },
  { model_name: "moderation", litellm_params: openai("omni-moderation-latest") },
  { model_name: "rerank", litellm_params: bound("cohere/rerank-v3.5", `${MOCK_URL}/cohere`, "co-fuzz") },
];

/** Groups priced per token (the others by the bundled table's units). */
export const TOKEN_PRICED = (group: string | null) => !!group && !["dalle", "tts", "whisper", "moderation", "rerank"].includes(group);

/** Endpoints whose answers from these groups always cost something (a 200 with spend 0 would be a lost charge). */
export const ALWAYS_PRICED: [RegExp, string][] = [[/\/images\/generations$/, "dalle"], [/\/audio\/speech$/, "tts"], [/\/rerank$/, "rerank"]];

/** The fuzz config: models, a cache clients opt into, a guardrail they may ask for, an MCP server, stored models, metrics. */
export const FUZZ_CONFIG: GatewayConfigInput = {
  model_list: MODEL_LIST,
  general_settings: { master_key: MASTER_KEY, store_model_in_db: true },
  litellm_settings: { cache: true, cache_params: { type: "redis", mode: "default_off" }, callbacks: ["prometheus"] },
  guardrails: [{ guardrail_name: "no-keys", litellm_params: { guardrail: "litellm_content_filter", mode: "pre_call", default_on: false, patterns: [{ pattern_type: "prebuilt", pattern_name: "aws_access_key", action: "BLOCK" }] } }],
  mcp_servers: { fuzzmcp: { url: MCP_URL, transport: "http" } },
};

// ---------------------------------------------------------------- ids handed out during the run

/** Ids the gateway answered with, by kind; `@@kind:n@@` in a request picks one, `@@name@@` is one of `known` (the virtual key). */
export class IdPool {
  private readonly ids = new Map<IdKind, string[]>();

  constructor(private readonly known: Record<string, string>) {}

  fill(text: string): string {
    return text
      .replace(/@@(\w+):(\d+)@@/g, (_, kind: IdKind, n: string) => {
        const list = this.ids.get(kind) ?? [];
        return list.length ? list[Number(n) % list.length] : `${kind}-none`;
      })
      .replace(/@@(\w+)@@/g, (whole, name: string) => this.known[name] ?? whole);
  }

  /** Takes the ids out of an answer. */
  harvest(body: string, headers: Headers): void {
    const add = (kind: IdKind, id: string) => {
      const list = this.ids.get(kind) ?? this.ids.set(kind, []).get(kind)!;
      if (!list.includes(id) && list.length < 50) list.push(id);
    };
    for (const [, id] of body.matchAll(/"(?:id|output_file_id|input_file_id)":"(file-[^"]+)"/g)) add("file", id);
    for (const [, id] of body.matchAll(/"id":"(batch[-_][^"]+)"/g)) add("batch", id);
    for (const [, id] of body.matchAll(/"id":"(resp_[^"]+)"/g)) add("response", id);
    for (const [, id] of body.matchAll(/"model_id":"([^"]+)"/g)) add("model", id);
    for (const [, id] of body.matchAll(/"server_id":"([^"]+)"/g)) add("mcp", id);
    for (const [, token] of body.matchAll(/"csrf_token":"([^"]+)"/g)) add("csrf", token);
    for (const shown of headers.get("x-litellm-cache-key")?.split(",") ?? []) if (shown) add("cache", shown);
    const session = headers.get("mcp-session-id");
    if (session) add("session", session);
    const cookie = headers.get("set-cookie")?.split(";")[0];
    if (cookie?.includes("=") && !cookie.endsWith("=")) add("cookie", cookie);
  }
}

const WAV = wavBytes(0.25);
const jsonl = (pool: IdPool) => new TextEncoder().encode(pool.fill(JSON.stringify({ custom_id: "r1", method: "POST", url: "/v1/chat/completions", body: { model: "gpt", messages: [{ role: "user", content: "hi" }] } }) + "\n"));

const BOUNDARY = "----fuzzBoundary7MA4YWxkTrZu0gW";
const utf8 = new TextEncoder();
/** Names and filenames in a part's header as browsers write them: quotes and line breaks escaped, all else as is. */
const quoted = (text: string) => text.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** The form as multipart bytes, written here rather than by FormData (which refuses some filenames a client can still send). */
function multipart(parts: FormParts, pool: IdPool): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const [name, value] of parts.form) {
    const file = typeof value === "string" ? undefined : value;
    const disposition = `form-data; name="${quoted(name)}"${file ? `; filename="${quoted(file.filename)}"` : ""}`;
    chunks.push(utf8.encode(`--${BOUNDARY}\r\ncontent-disposition: ${disposition}\r\n${file ? `content-type: ${file.type || "application/octet-stream"}\r\n` : ""}\r\n`));
    chunks.push(!file ? utf8.encode(pool.fill(value as string)) : file.bytes === "wav" ? WAV : file.bytes === "jsonl" ? jsonl(pool) : new Uint8Array(file.bytes));
    chunks.push(utf8.encode("\r\n"));
  }
  chunks.push(utf8.encode(`--${BOUNDARY}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

// ---------------------------------------------------------------- one request

export interface FuzzRequest {
  /** llm: on the LLM chain (a spend row per answered call); other: any other route. */
  kind: "llm" | "other";
  method: string;
  /** May hold `@@kind:n@@` references. */
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string | FormParts;
  auth: Auth;
}

export interface Seen {
  callId: string;
  request: string;
  path: string;
  status: number;
  llm: boolean;
  virtual: boolean;
  upstreamCalls: number;
  /** tools/call requests that reached the MCP server. */
  toolCalls: number;
  cacheHit: boolean;
  group: string | null;
  cost?: number;
  /** The start of the answer (for the summary). */
  answer: string;
  /** Batch ids a completed retrieval (billed once) answered. */
  completedBatch?: string;
}

export interface FuzzRun {
  gw: TestGateway;
  log: UpstreamLog;
  pool: IdPool;
  key: string;
  seen: Seen[];
}

/** The longest an answer may take to end (the mock answers in milliseconds). */
const ANSWER_MS = 15_000;

const PRESENTED = { master: MASTER_KEY, bogus: "sk-bogus-" + "0".repeat(24), none: "" };

/** Sends one request and checks what must hold for every request. */
export async function send(run: FuzzRun, r: FuzzRequest): Promise<void> {
  const { gw, log, pool } = run;
  log.calls = 0;
  log.statuses = [];
  log.toolCalls = 0;
  const qs = r.query ? new URLSearchParams(Object.entries(r.query).map(([k, v]) => [k, pool.fill(v)])).toString() : "";
  const path = pool.fill(r.path) + (qs ? `?${qs}` : "");
  const headers = Object.fromEntries(Object.entries(r.headers).map(([name, value]) => [name, pool.fill(value)]));
  const form = r.body !== undefined && typeof r.body !== "string";
  if (form) headers["content-type"] ??= `multipart/form-data; boundary=${BOUNDARY}`;
  const presented = r.auth === "virtual" ? run.key : PRESENTED[r.auth];
  if (presented) headers.authorization = `Bearer ${presented}`;
  const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
  const body = !hasBody ? undefined : typeof r.body === "string" ? pool.fill(r.body) : multipart(r.body as FormParts, pool);
  const res = await gw.fetch(path, { method: r.method, headers, body, key: null });
  // A WebSocket (the Realtime route): close it; there is no body to read.
  res.webSocket?.accept();
  res.webSocket?.close(1000);
  const route = path.split("?")[0];
  const type = res.headers.get("content-type") ?? "";
  // An MCP GET opens the session's standing event stream (it never ends by itself): only its status counts.
  const standing = r.method === "GET" && /\/mcp\/?$/.test(route) && type.startsWith("text/event-stream");
  if (standing) await res.body?.cancel();
  const reading = standing ? Promise.resolve("") : /json|text|event-stream/.test(type) ? res.text() : res.arrayBuffer().then(() => "");
  const text = await Promise.race([reading, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${r.method} ${path.slice(0, 120)}: the answer did not end within ${ANSWER_MS} ms`)), ANSWER_MS))]);
  const shown = `${r.method} ${path.slice(0, 120)} -> ${res.status} ${text.slice(0, 300)}`;
  // No 5xx from the client's bytes. The one 5xx a client may ask for: LiteLLM's `mock_testing_fallbacks`,
  // a simulated upstream failure (it answers 500 as LiteLLM does, to exercise fallbacks).
  const simulated = res.status === 500 && text.includes("This is a mock exception for model=");
  if (!simulated) expect(res.status, shown).toBeLessThan(500);
  // A refusal the gateway decided made no upstream call (an upstream's own error may be passed on), and
  // a refused tool call never reached the MCP server. /health probes every deployment whatever it answers.
  if (res.status >= 400 && route !== "/health") {
    expect(log.statuses.every((s) => s >= 400), `${shown} after ${log.calls} upstream calls`).toBe(true);
    expect(log.toolCalls, shown).toBe(0);
  }
  const cacheHit = res.headers.get("x-litellm-cache-hit") === "true";
  if (res.status === 200 && r.kind === "llm" && !route.endsWith("/count_tokens")) expect(log.calls > 0 || cacheHit, `${shown}: no upstream call and no cache hit`).toBe(true);
  pool.harvest(text, res.headers);
  const completed = r.method === "GET" && /\/batches\/[^/]+$/.test(route) && res.status === 200 && /"status":"completed"/.test(text);
  run.seen.push({
    callId: res.headers.get("x-litellm-call-id") ?? "",
    request: `${r.method} ${path.slice(0, 80)} ${typeof body === "string" ? body.slice(0, 300) : JSON.stringify(r.body ?? "").slice(0, 300)}`,
    path: route,
    status: res.status,
    llm: r.kind === "llm",
    virtual: r.auth === "virtual",
    upstreamCalls: log.calls,
    toolCalls: log.toolCalls,
    cacheHit,
    group: res.headers.get("x-litellm-model-group"),
    cost: res.headers.has("x-litellm-response-cost") ? Number(res.headers.get("x-litellm-response-cost")) : undefined,
    answer: text.slice(0, 160),
    completedBatch: completed ? (JSON.parse(text) as { id: string }).id : undefined,
  });
}

/** Runs `arb` as a fast-check property with the fixed seed: each generated request sent and checked. */
async function fuzz(run: FuzzRun, arb: fc.Arbitrary<FuzzRequest>, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, (r) => send(run, r)), { seed: SEED, numRuns });
}

export interface SpendRow {
  request_id: string;
  status: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  call_type: string;
  cache_hit: number;
}

/**
 * One fuzz run: the gateway (FUZZ_CONFIG behind the counting binding), a virtual key, each phase's requests
 * sent and checked; then no upstream URL outside an api_base, none around a binding, and the key's spend
 * rows, whose total the key's guard holds too. `summary`: print each route's statuses (for tuning).
 */
export async function fuzzRun(phases: [fc.Arbitrary<FuzzRequest>, number][], options: { env?: Record<string, unknown>; summary?: boolean } = {}) {
  const log = newLog();
  const gw = await testGateway(FUZZ_CONFIG, { FUZZ_UPSTREAM: countingUpstream(log), ...options.env });
  const { key, token } = await newKey(gw);
  const run: FuzzRun = { gw, log, pool: new IdPool({ virtual: key }), key, seen: [] };
  const restore = watchGlobalFetch(log);
  const started = Date.now();
  try {
    for (const [arb, numRuns] of phases) await fuzz(run, arb, numRuns);
  } finally {
    restore();
  }
  const elapsed = Date.now() - started;
  if (options.summary) console.log(summary(run.seen));
  expect(log.strays).toEqual([]);
  expect(log.bypassed).toEqual([]);
  await flushKey(token);
  const { results: rows } = await testEnv.DB.prepare("SELECT request_id, status, spend, prompt_tokens, completion_tokens, call_type, cache_hit FROM spend_logs WHERE api_key = ?").bind(token).all<SpendRow>();
  const total = rows.reduce((sum, r) => sum + r.spend, 0);
  expect((await keyGuard(token).snapshot()).spend).toBeCloseTo(total, 12);
  return { seen: run.seen, rows, elapsed };
}

/** Statuses per route (ids folded), with an example answer of each: for tuning the arbitraries. */
function summary(seen: Seen[]): string {
  const routes = new Map<string, Map<number, { n: number; example: string }>>();
  for (const s of seen) {
    const route = `${s.request.split(" ")[0]} ${s.path.replace(/^\/(openai\/deployments|engines)\/[^/]*/, "/{d}").replace(/\/(files|batches|responses|server|model)\/[^/]+/, "/$1/{id}")}`;
    const statuses = routes.get(route) ?? routes.set(route, new Map()).get(route)!;
    const entry = statuses.get(s.status) ?? statuses.set(s.status, { n: 0, example: s.answer }).get(s.status)!;
    entry.n++;
  }
  return [...routes].map(([route, statuses]) => `${route}: ${[...statuses].map(([status, e]) => `${status}x${e.n}${status >= 400 ? ` (${e.example.slice(0, 100)})` : ""}`).join(", ")}`).join("\n");
}
