// Issue #24, closing the class: random and hostile bodies, headers and model names thrown at every route
// that calls a model (chat, completions, embeddings, images, speech, transcriptions and translations
// with multipart uploads, moderations, rerank, /v1/messages and count_tokens, the Responses API, files
// and batches, each at every path it is served on) and at the routes that read or delete what they made
// (responses, files, batches by id) or cache (/cache/*), with a virtual key, the master key, a bogus key
// or none. For every request (see fuzz-helpers.ts send):
//   - no 5xx from the client's bytes;
//   - a refused request (4xx the gateway decided) made no upstream call;
//   - an answered LLM call reached an upstream, or was a cache hit;
// and at the end: no upstream URL outside a deployment's api_base, none that went around its binding,
// and the key's spend rows match what each client received (one row per answered call, its cost as the
// answer said, nothing charged for a refusal or a cache hit, a completed batch billed once).
// fast-check with a fixed seed and a bounded number of runs: the same inputs every time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALWAYS_PRICED,
  TOKEN_PRICED,
  fuzzRun,
  type FuzzRequest,
} from "./fuzz-helpers";
import {
  anyModel,
  auth,
  either,
  extraHeaders,
  formBody,
  formFile,
  formText,
  headerValue,
  modelName,
  num,
  pathId,
  pathSegment,
  plainText,
  queryOf,
  ref,
  text,
  wireBody,
  withDeepField,
} from "./fuzz-arbitraries";

/** Print each route's statuses (for tuning the arbitraries). */
const SUMMARY = false;

// ---- bodies: mostly valid for their route (so they reach an upstream), with hostile extras ----

const SERVED = ["gpt", "claude", "wild/ok", "wild/模型", "wild/" + "b".repeat(200), "wild/a b (c)", "gem/gemini-fuzz", "gem/tunedModels/t-1"];
const served = (...names: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: modelName });

const messages = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant", "tool", "bogus"), content: fc.oneof(text, fc.array(fc.record({ type: fc.constantFrom("text", "image_url", "image", "tool_result", "x"), text }), { maxLength: 3 }), fc.constant(null)) }, { requiredKeys: ["role"] }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const EXTRA_FIELDS = ["stream", "max_tokens", "n", "temperature", "tools", "tool_choice", "response_format", "fallbacks", "metadata", "stream_options", "num_retries", "timeout", "user", "stop", "thinking", "system", "drop_params", "mock_testing_fallbacks", "x-unknown", "cache", "guardrails", "tags"];
const extraValue = fc.oneof(num, text, fc.boolean(), fc.jsonValue({ maxDepth: 4 }), fc.constantFrom({ "use-cache": true }, { "no-store": true }, { "use-cache": true, ttl: 60 }, ["no-keys"], ["nope"]));
const extras = fc.dictionary(fc.constantFrom(...EXTRA_FIELDS), extraValue, { maxKeys: 4 });
const withExtras = (body: fc.Arbitrary<Record<string, unknown>>) => fc.tuple(body, fc.option(extras, { freq: 3 })).map(([b, x]) => ({ ...(x ?? {}), ...b }));

const anyBody = fc
  .record({ model: anyModel, messages, prompt: fc.oneof(text, fc.jsonValue({ maxDepth: 2 })), input: fc.oneof(text, fc.jsonValue({ maxDepth: 2 })), max_tokens: num, stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 0 })) }, { requiredKeys: [] })
  .chain((b) => extras.map((x) => ({ ...b, ...x })));

const stream = fc.boolean();
const maxTokens = fc.integer({ min: 1, max: 50 });
const chatMessages = fc.array(fc.record({ role: fc.constantFrom("user", "system"), content: fc.oneof(plainText, fc.constantFrom("my key AKIAIOSFODNN7EXAMPLE", "hi")) }), { minLength: 1, maxLength: 2 });
const responsesInput = fc.oneof(plainText, fc.array(fc.record({ role: fc.constantFrom("user", "developer", "assistant"), content: plainText }), { minLength: 1, maxLength: 2 }), fc.jsonValue({ maxDepth: 2 }));

const anthropicModel = served("claude", "claude", "gpt", "wild/ok", "gem/gemini-fuzz");
const userMessage = chatMessages.map((m) => [{ ...m[0], role: "user" }]);

/** The valid body of each JSON route (before extras). */
const VALID: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  chat: fc.record({ model: served(...SERVED), messages: chatMessages, stream, max_tokens: maxTokens }, { requiredKeys: ["model", "messages"] }),
  completion: fc.record({ model: served(...SERVED), prompt: plainText, stream, max_tokens: maxTokens }, { requiredKeys: ["model", "prompt"] }),
  embedding: fc.record({ model: served(...SERVED), input: fc.oneof(plainText, fc.array(plainText, { minLength: 1, maxLength: 2 })) }),
  messages: fc.record({ model: anthropicModel, messages: userMessage, max_tokens: maxTokens, stream, system: plainText }, { requiredKeys: ["model", "messages", "max_tokens"] }),
  count_tokens: fc.record({ model: anthropicModel, messages: userMessage, system: plainText }, { requiredKeys: ["model", "messages"] }),
  responses: fc.record({ model: served(...SERVED), input: responsesInput, instructions: plainText, stream, max_output_tokens: maxTokens, store: fc.boolean(), previous_response_id: either(ref("response"), text) }, { requiredKeys: ["model", "input"] }),
  image: fc.record({ model: served("dalle", "wild/dall-e-3", "gem/imagen-4.0-generate-001"), prompt: plainText.filter((s) => s.length > 0), n: either(fc.integer({ min: 1, max: 2 }), num), size: either(fc.constantFrom("1024x1024", "1792x1024"), text), quality: fc.constantFrom("standard", "hd"), response_format: either(fc.constantFrom("url", "b64_json"), text) }, { requiredKeys: ["model", "prompt"] }),
  speech: fc.record({ model: served("tts", "wild/tts-1"), input: either(plainText.filter((s) => s.length > 0), fc.oneof(text, fc.constant("y".repeat(4097)))), voice: either(fc.constantFrom("alloy", "echo"), fc.jsonValue({ maxDepth: 1 })), response_format: either(fc.constantFrom("mp3", "wav"), text), speed: either(fc.constantFrom(1, 0.25, 4), num) }, { requiredKeys: ["model", "input", "voice"] }),
  moderation: fc.record({ model: served("moderation", "wild/omni-moderation-latest"), input: fc.oneof(plainText, fc.array(plainText, { maxLength: 2 }), fc.array(fc.record({ type: fc.constantFrom("text", "image_url"), text: plainText }), { maxLength: 2 })) }, { requiredKeys: ["input"] }),
  rerank: fc.record({ model: served("rerank"), query: plainText, documents: fc.array(fc.oneof(plainText, fc.dictionary(plainText, plainText, { maxKeys: 2 })), { maxLength: 3 }), top_n: either(fc.integer({ min: 1, max: 3 }), num), return_documents: fc.boolean() }, { requiredKeys: ["model", "query", "documents"] }),
  batch: fc.record({ input_file_id: either(ref("file"), text), endpoint: either(fc.constant("/v1/chat/completions"), text), completion_window: either(fc.constant("24h"), text), metadata: fc.dictionary(plainText, plainText, { maxKeys: 2 }) }, { requiredKeys: ["input_file_id", "endpoint", "completion_window"] }),
};

const transcriptionForm = formBody([
  ["model", formText(served("whisper", "wild/whisper-1"))],
  ["file", formFile],
  ["response_format", formText(fc.constantFrom("json", "text", "verbose_json", "srt"))],
  ["language", formText(fc.constantFrom("en", "fr"))],
  ["temperature", formText(fc.constantFrom("0", "0.5", "2"))],
  ["timestamp_granularities[]", formText(fc.constantFrom("word", "segment"))],
]);
const fileForm = formBody([
  ["file", formFile],
  ["purpose", formText(fc.constantFrom("batch", "assistants", "fine-tune", "user_data"))],
  ["target_model_names", formText(served("gpt", "wild/gpt-4o", "claude"))],
  ["model", formText(served("gpt"))],
]);

/** Each LLM route: its paths (`{d}`: an Azure-style deployment in the path) and its body. */
const ROUTES: { paths: string[]; body: fc.Arbitrary<string | { form: [string, unknown][] }> }[] = [];
const jsonRoute = (paths: string[], valid: fc.Arbitrary<Record<string, unknown>>) =>
  ROUTES.push({ paths, body: fc.oneof({ weight: 4, arbitrary: withExtras(valid).map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: withDeepField(withExtras(valid)) }, { weight: 1, arbitrary: wireBody(anyBody) }) });
const prefixed = (path: string, azure = true) => ["/v1" + path, path, ...(azure ? [`/openai/deployments/{d}${path}`, `/engines/{d}${path}`] : [])];
jsonRoute(prefixed("/chat/completions"), VALID.chat);
jsonRoute(prefixed("/completions"), VALID.completion);
jsonRoute(prefixed("/embeddings"), VALID.embedding);
jsonRoute(["/v1/messages"], VALID.messages);
jsonRoute(["/v1/messages/count_tokens"], VALID.count_tokens);
jsonRoute(["/v1/responses", "/responses", "/openai/v1/responses"], VALID.responses);
jsonRoute(prefixed("/images/generations"), VALID.image);
jsonRoute(prefixed("/audio/speech"), VALID.speech);
jsonRoute(prefixed("/moderations"), VALID.moderation);
jsonRoute(prefixed("/rerank"), VALID.rerank);
jsonRoute(prefixed("/batches", false), VALID.batch);
const formRoute = (paths: string[], form: fc.Arbitrary<unknown>) =>
  ROUTES.push({ paths, body: fc.oneof({ weight: 4, arbitrary: form as fc.Arbitrary<{ form: [string, unknown][] }> }, { weight: 1, arbitrary: wireBody(anyBody) }) });
formRoute([...prefixed("/audio/transcriptions"), ...prefixed("/audio/translations")], transcriptionForm);
formRoute(prefixed("/files", false), fileForm);

const llmRequest: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    kind: fc.constant("llm" as const),
    method: fc.constant("POST"),
    path: fc.tuple(fc.constantFrom(...route.paths), fc.oneof(fc.constantFrom(...SERVED, "dalle", "whisper"), modelName)).map(([p, d]) => p.replace("{d}", pathSegment(d))),
    body: route.body as fc.Arbitrary<FuzzRequest["body"]>,
    headers: extraHeaders,
    auth,
  }),
);

// ---- what the LLM routes made: read, deleted, cancelled by id; the cache's admin routes ----

const READS: [string, string][] = [
  ["GET", "/v1/responses/{response}"], ["DELETE", "/v1/responses/{response}"], ["GET", "/v1/responses/{response}/input_items"], ["GET", "/responses/{response}"], ["DELETE", "/openai/v1/responses/{response}"],
  ["GET", "/v1/files"], ["GET", "/v1/files/{file}"], ["GET", "/files/{file}/content"], ["DELETE", "/v1/files/{file}"],
  ["GET", "/v1/batches"], ["GET", "/v1/batches/{batch}"], ["GET", "/batches/{batch}"], ["POST", "/v1/batches/{batch}/cancel"],
];
const readRequest: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...READS).chain(([method, template]) =>
  fc.record({
    kind: fc.constant("other" as const),
    method: either(fc.constant(method), fc.constantFrom("GET", "POST", "DELETE", "PUT")),
    path: fc.tuple(pathId("response"), pathId("file"), pathId("batch")).map(([response, file, batch]) => template.replace("{response}", response).replace("{file}", file).replace("{batch}", batch)),
    query: queryOf(["limit", "after", "before", "order", "purpose", "include", "model"]),
    headers: extraHeaders,
    auth,
  }),
);

/** The Realtime route: a WebSocket upgrade for a model, the key in a header (or nowhere). */
const realtimeRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  kind: fc.constant("other" as const),
  method: either(fc.constant("GET"), fc.constantFrom("POST", "DELETE")),
  path: fc.constantFrom("/v1/realtime", "/realtime"),
  query: fc.record({ model: served("gpt", "wild/gpt-4o-realtime-preview", "claude", "dalle") }, { requiredKeys: [] }),
  headers: fc
    .tuple(extraHeaders, fc.record({ upgrade: either(fc.constant("websocket"), headerValue), "sec-websocket-protocol": either(fc.constantFrom("realtime", "openai-beta.realtime-v1", "realtime, openai-beta.realtime-v1"), headerValue), "openai-beta": either(fc.constant("realtime=v1"), headerValue) }, { requiredKeys: [] }))
    .map(([random, realtime]) => ({ ...random, ...realtime })),
  auth,
});

/** Calls that opt into the cache with a few repeated bodies (so some are hits), the cache's headers sometimes. */
const CACHED_BODY: Record<string, (content: string, stream: boolean, cache: unknown) => object> = {
  "/v1/chat/completions": (content, stream, cache) => ({ model: "gpt", messages: [{ role: "user", content }], max_tokens: 5, stream, cache }),
  "/v1/embeddings": (content, _stream, cache) => ({ model: "gpt", input: [content, "fixed"], cache }),
  // Anthropic's body has no `cache`: the header's controls only (and the config's default_off keeps it uncached).
  "/v1/messages": (content, stream) => ({ model: "claude", messages: [{ role: "user", content }], max_tokens: 5, stream }),
};
const cachedCall: fc.Arbitrary<FuzzRequest> = fc
  .record({
    path: fc.constantFrom(...Object.keys(CACHED_BODY)),
    content: fc.constantFrom("cache me", "again"),
    stream: fc.boolean(),
    cache: either(fc.constantFrom({ "use-cache": true }, { "use-cache": true, ttl: 60 }, { "use-cache": true, "s-maxage": 60 }, { "use-cache": true, "no-store": true }), fc.jsonValue({ maxDepth: 1 })),
    headers: fc.option(fc.record({ "cache-control": either(fc.constantFrom("no-cache", "no-store", "s-maxage=30"), headerValue) }, { requiredKeys: [] }), { freq: 4 }),
    auth: fc.constantFrom<"virtual" | "master">("virtual", "virtual", "master"),
  })
  .map(({ path, content, stream, cache, headers, auth }) => ({ kind: "llm", method: "POST", path, body: JSON.stringify(CACHED_BODY[path](content, stream, cache)), headers: headers ?? {}, auth }));

const cacheRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  kind: fc.constant("other" as const),
  method: either(fc.constant("POST"), fc.constantFrom("GET", "DELETE")),
  path: fc.constantFrom("/cache/ping", "/cache/delete", "/cache/flushall"),
  body: wireBody(fc.record({ keys: either(fc.array(ref("cache"), { minLength: 1, maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })), namespace: either(fc.constantFrom("fuzz", "other"), text) }, { requiredKeys: [] })),
  headers: extraHeaders,
  auth: fc.constantFrom("master", "master", "virtual", "bogus"),
}).map((r) => (r.path === "/cache/ping" ? { ...r, method: "GET" } : r));

describe("fuzz: hostile requests at every LLM route (fast-check, seed 24)", () => {
  it("never answers 5xx, never calls the upstream for a refused request, and bills exactly what clients got", { timeout: 120_000 }, async () => {
    const { seen, rows: results, elapsed } = await fuzzRun(
      [
        [llmRequest, 700],
        [fc.oneof(readRequest, cacheRequest, cachedCall, realtimeRequest, llmRequest), 400],
      ],
      { summary: SUMMARY },
    );

    // The spend log says what each virtual-key client got.
    const rows = new Map(results.map((r) => [r.request_id, r]));
    const mine = seen.filter((s) => s.llm && s.virtual);
    for (const s of mine) {
      const row = rows.get(s.callId);
      const about = JSON.stringify({ ...s, row });
      if (s.path.endsWith("/count_tokens")) {
        // Counting tokens is free and not logged (as LiteLLM).
        expect(row, about).toBeUndefined();
      } else if (s.status === 200 && s.cacheHit) {
        // A cache hit is logged at cost 0.
        if (row) expect({ spend: row.spend, cache_hit: !!row.cache_hit }, about).toEqual({ spend: 0, cache_hit: true });
      } else if (s.status === 200 && s.upstreamCalls > 0) {
        expect(row, `call answered 200 has a spend row: ${about}`).toBeDefined();
        expect(row!.status, about).toBe("success");
        if (s.cost !== undefined) expect(row!.spend, about).toBe(s.cost);
        // Token-priced calls are charged when they used tokens; per-image/character/search ones always.
        if (ALWAYS_PRICED.some(([path, group]) => path.test(s.path) && s.group === group)) expect(row!.spend, about).toBeGreaterThan(0);
        else if (TOKEN_PRICED(s.group) && /\/(chat\/)?completions$|\/messages$|\/responses$/.test(s.path)) expect(row!.spend > 0, about).toBe(row!.prompt_tokens + row!.completion_tokens > 0);
      } else if (s.status >= 400) {
        // Refused or failed: nothing charged.
        if (row) expect({ status: row.status, spend: row.spend }, about).toEqual({ status: "failure", spend: 0 });
      }
    }
    // Every row is a call a client made, a completed batch's cost (recorded once, when first retrieved), or a
    // Realtime session (closed before any response: nothing to charge).
    const batches = new Set(seen.filter((s) => s.virtual && s.completedBatch).map((s) => s.completedBatch!));
    const calls = new Set(mine.map((s) => s.callId));
    const sessions = results.filter((r) => r.call_type === "_arealtime");
    expect(sessions.length).toBeLessThanOrEqual(seen.filter((s) => s.virtual && s.status === 101).length);
    for (const r of sessions) expect(r.spend).toBe(0);
    for (const r of results) {
      if (batches.has(r.request_id)) expect(r.call_type).toBe("aretrieve_batch");
      else if (r.call_type !== "_arealtime") expect(calls.has(r.request_id), `row ${JSON.stringify(r)} is no client's call`).toBe(true);
    }
    for (const id of batches) expect(rows.get(id)?.status, `completed batch ${id} billed`).toBe("success");

    // Enough of the runs got through, on each kind of route, for the checks to mean something; count_tokens
    // asked Anthropic and Realtime sessions opened (through the binding); the cache answered and forgot.
    const answered = (re: RegExp) => mine.filter((s) => s.status === 200 && re.test(s.path)).length;
    const ROUTE_KINDS = { chat: /chat\/completions$/, completions: /\/completions$/, embeddings: /embeddings$/, messages: /messages$/, responses: /responses$/, images: /images/, speech: /speech$/, audio: /(transcriptions|translations)$/, moderations: /moderations$/, rerank: /rerank$/, files: /files$/, batches: /batches$/ };
    const coverage = {
      ...Object.fromEntries(Object.entries(ROUTE_KINDS).map(([kind, re]) => [kind, answered(re)])),
      count_tokens_upstream: mine.filter((s) => s.status === 200 && s.path.endsWith("/count_tokens") && s.upstreamCalls > 0).length,
      realtime: seen.filter((s) => s.status === 101).length,
      cache_hits: seen.filter((s) => s.cacheHit).length,
      cache_deletes: seen.filter((s) => s.status === 200 && s.path === "/cache/delete").length,
    };
    for (const [route, n] of Object.entries(coverage)) expect(n, `answered ${route} calls`).toBeGreaterThan(0);
    const reads = seen.filter((s) => !s.llm && s.status === 200);
    console.log(`[fuzz-llm] ${seen.length} requests in ${elapsed} ms: answered ${JSON.stringify(coverage)}, ${reads.length} reads/cache answered, ${batches.size} batches billed, ${seen.filter((s) => s.status >= 400).length} refusals`);
  });
});
