// The pieces the fuzz tests (fuzz-llm.test.ts, fuzz-admin.test.ts) build requests from: hostile model names,
// text, numbers, deeply nested JSON, header values that are not printable ASCII, paths, queries and multipart
// forms. Ids handed out earlier in a run are referred to as `@@kind:n@@` (filled in by fuzz-helpers.ts IdPool).
import fc from "fast-check";

/** What the gateway hands out during a run that later requests refer to. */
export type IdKind = "file" | "batch" | "response" | "cache" | "model" | "mcp" | "cookie" | "csrf" | "session";

export const ref = (kind: IdKind) => fc.nat(49).map((n) => `@@${kind}:${n}@@`);

// ---------------------------------------------------------------- hostile pieces

const HOSTILE_NAMES = [
  "gpt", "claude", "wild/ok", "wild/", "*", "", " ", "wild/../x", "wild/./x", "wild/a?b=c", "wild/a#b", "wild/%2e%2e/x", "wild\\x",
  "gpt\r\nx-injected: 1", "wild/ok\n", "wild/\u0000", "wild/\u202egpt", "wild/\u2028", "wild/\ud800", "wild/模型", "wild/😀",
  "gpt ", "GPT", "wild/" + "a".repeat(251), "wild/" + "a".repeat(252),
  "gem/gemini-2.5-flash", "gem/../../v1/files", "gem/tunedModels/x", "gem/x:streamGenerateContent?alt=sse#", "gem/%2F..%2Fx", "gem/x/../../y",
  "dalle", "tts", "whisper", "moderation", "rerank", "wild/error-500", "wild/dall-e-3",
];
export const modelName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("wild/", "gem/"), fc.string({ unit: "binary", maxLength: 40 })).map(([p, s]) => p + s) },
  { weight: 1, arbitrary: fc.integer({ min: 240, max: 20_000 }).map((n) => `wild/${"x".repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
);
export const anyModel = fc.oneof({ weight: 6, arbitrary: modelName }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
export const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), fc.constantFrom("", "hi", "\u0000", "x".repeat(5000)));
export const plainText = fc.string({ maxLength: 30 });
export const num = fc.oneof(fc.integer({ min: -5, max: 10 }), fc.double(), fc.constantFrom(0, 1, 4096, 1e308, -1, 0.5), fc.jsonValue({ maxDepth: 1 }));
/** The route's own method nearly always, another one sometimes. */
export const methodFor = (method: string) => fc.oneof({ weight: 8, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT") });
/** A plausible value most of the time, a hostile one sometimes. */
export const either = <T, U>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 3, arbitrary: plausible as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: hostile });

/** A JSON text nested `depth` levels (JSON.stringify cannot write deep values itself). */
const deepText = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
const deepValue = fc.oneof(fc.integer({ min: 50, max: 5000 }), fc.constantFrom(100_000)).chain((d) => fc.constantFrom(deepText(d, "[", "]"), '{"a":'.repeat(d) + "null" + "}".repeat(d)));

/** A value nested thousands deep put into one field (as text: JSON.stringify cannot write it). */
const DEEP_FIELDS = ["metadata", "response_format", "tools", "messages", "input", "models", "fallbacks", "documents", "litellm_params", "arguments"];
export const withDeepField = (value: fc.Arbitrary<unknown>) =>
  fc.tuple(value, fc.constantFrom(...DEEP_FIELDS), deepValue).map(([v, field, deep]) => JSON.stringify({ ...(v as object), [field]: 0 }).replace(`"${field}":0`, `"${field}":${deep}`));

/** How a body goes over the wire: JSON of the generated value, deep nesting spliced in, or not JSON at all. */
export const wireBody = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: value.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: withDeepField(value) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom("", "null", "[]", "42", '"x"', "{", "{}", '{"model":'), fc.string({ maxLength: 50 })) },
  );

/** Header values a client may send that are not printable ASCII: Latin-1 bytes, UTF-8 read as Latin-1, tabs, DEL. */
const latin1 = fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 12 });
const utf8AsLatin1 = fc.string({ unit: "grapheme", maxLength: 8 }).map((s) => String.fromCharCode(...new TextEncoder().encode(s)));
/** What a Headers object takes: no NUL, CR or LF, and bytes only (workerd would take more, as UTF-8, with a warning). */
const headerOk = (v: string) => /^[^\0\r\n]*$/.test(v) && [...v].every((c) => c.charCodeAt(0) <= 0xff);
/** Header values: printable ASCII mostly; sometimes not (each of those makes workerd log a warning, so not too often). */
export const headerValue = fc
  .oneof(
    { weight: 8, arbitrary: fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) },
    { weight: 1, arbitrary: fc.tuple(plainText, fc.oneof(latin1, utf8AsLatin1, fc.constantFrom("\t", "a\tb", "\x7f", "\u00ff\u00fe", "\u00a0"))).map(([a, b]) => a + b) },
    { weight: 2, arbitrary: fc.constantFrom("Bearer sk-\u00e9\u00e8", "a\tb", "2023-06-01", "no-cache", "no-store", "s-maxage=5", "same-origin", "cross-site", "websocket", "fuzzmcp", "application/json", "multipart/form-data; boundary=x", "text/event-stream") },
  )
  .filter(headerOk);
const HEADER_NAMES = [
  "content-type", "accept", "authorization", "x-litellm-api-key", "x-api-key", "api-key", "x-goog-api-key", "anthropic-version", "anthropic-beta",
  "openai-beta", "cache-control", "x-mcp-servers", "mcp-session-id", "mcp-protocol-version", "cookie", "origin", "sec-fetch-site", "x-csrf-token",
  "x-forwarded-for", "user-agent", "traceparent", "upgrade", "sec-websocket-protocol", "x-gateway-drain-token", "x-litellm-tags",
];
export const extraHeaders = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 3 });

export type Auth = "virtual" | "master" | "bogus" | "none";
export const auth = fc.constantFrom<Auth>("virtual", "virtual", "virtual", "virtual", "virtual", "master", "bogus", "none");
export const adminAuth = fc.constantFrom<Auth>("master", "master", "master", "virtual", "bogus", "none");

/** A name as a URL path segment; lone surrogates (no UTF-8 form) go as the bytes of an encoded surrogate. */
export const pathSegment = (name: string) => name.split(/([\ud800-\udfff])/).map((part) => (/^[\ud800-\udfff]$/.test(part) ? "%ED%A0%80" : encodeURIComponent(part))).join("");

/** An id in a path: one handed out earlier, or anything. */
export const pathId = (kind: IdKind) => either(ref(kind), fc.oneof(text, anyModel.map(String)).map(pathSegment));

const QUERY_VALUES = fc.oneof(text, fc.constantFrom("2026-01-01", "2026-13-45", "2026-01-01 10:00:00", "team", "api_key", "model", "-1", "0", "1e9", "true", "asc", "success", "batch", "fuzzmcp"));
export const queryOf = (names: string[]) => fc.dictionary(fc.constantFrom(...names), either(QUERY_VALUES, fc.oneof(ref("file"), ref("response"), ref("model"))), { maxKeys: 4 });

// ---------------------------------------------------------------- multipart bodies

type FormValue = string | { bytes: "wav" | "jsonl" | number[]; filename: string; type: string };
export interface FormParts {
  form: [string, FormValue][];
}

const fileValue = fc.record({
  bytes: fc.oneof(fc.constantFrom<"wav" | "jsonl">("wav", "jsonl"), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 })),
  filename: either(fc.constantFrom("a.wav", "batch.jsonl", "x.mp3"), text),
  type: fc.constantFrom("audio/wav", "application/jsonl", "application/octet-stream", "", "text/plain; charset=\u00e9"),
});
/** A form: the fields a route reads (each mostly there, mostly plausible), sometimes random ones; a file where text belongs, or none. */
export const formBody = (fields: [string, fc.Arbitrary<FormValue>][]) =>
  fc
    .tuple(
      fc.tuple(...fields.map(([name, value]) => fc.option(value.map((v): [string, FormValue] => [name, v]), { freq: 6 }))),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom("file", "model", "purpose", "metadata", "fallbacks", "timeout", "num_retries", "cache", "tags", "mock_testing_fallbacks", "x"), text), fc.oneof(text, fileValue)), { maxLength: 2, depthIdentifier: "form" }),
    )
    .map(([known, random]): FormParts => ({ form: [...known.filter((f) => f !== null), ...random.slice(0, random.length > 1 ? 2 : 0)] }));
export const formFile = fileValue as fc.Arbitrary<FormValue>;
export const formText = (value: fc.Arbitrary<string>) => either(value, text) as fc.Arbitrary<FormValue>;
