// Reading the request body: one native read when the length is declared (real HTTP requests, the hot
// path), a capped chunk-by-chunk read when it is not (chunked uploads). Both give the same answers.
import { describe, expect, it } from "vitest";
import { readJsonBody } from "../../src/lib/body";
import { GatewayError } from "../../src/errors";
import { openaiModel, testGateway } from "./helpers";

const MB = 1024 * 1024;

function request(body: string | ReadableStream<Uint8Array>, declaredLength?: number): Request {
  const headers = new Headers({ "content-type": "application/json" });
  if (declaredLength !== undefined) headers.set("content-length", String(declaredLength));
  return new Request("http://gateway/v1/chat/completions", { method: "POST", body, headers });
}

/** A body with no declared length, as a chunked upload has. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7));
      controller.close();
    },
  });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe("readJsonBody", () => {
  const json = JSON.stringify({ model: "m", messages: [{ role: "user", content: "héllo ✓" }] });
  const length = new TextEncoder().encode(json).byteLength;

  it("parses a body of declared length and the same body sent chunked alike", async () => {
    const declared = await readJsonBody(request(json, length), 4 * MB);
    const streamed = await readJsonBody(request(chunked(json)), 4 * MB);
    expect(declared).toEqual(JSON.parse(json));
    expect(streamed).toEqual(declared);
  });

  it("refuses a declared length over the cap with 413 before reading", async () => {
    const err = await failure(readJsonBody(request(json, 5 * MB), 4 * MB));
    expect(err.status).toBe(413);
    expect(err.message).toMatch(/larger than 4 MB/);
  });

  it("refuses a chunked body that grows past the cap with 413", async () => {
    const err = await failure(readJsonBody(request(chunked("x".repeat(2 * MB))), 1 * MB));
    expect(err.status).toBe(413);
  });

  it("answers 400 for empty, non-JSON and non-object bodies either way", async () => {
    for (const text of ["", "   ", "{not json", "[1,2]", "42"]) {
      const bytes = new TextEncoder().encode(text).byteLength;
      for (const req of [request(text, bytes), request(chunked(text))]) {
        const err = await failure(readJsonBody(req, 4 * MB));
        expect(err.status).toBe(400);
      }
    }
  });

  it("reads a body with a malformed content-length the capped way", async () => {
    const parsed = await readJsonBody(new Request("http://gateway/", { method: "POST", body: chunked(json), headers: { "content-length": "-5" } }), 4 * MB);
    expect(parsed).toEqual(JSON.parse(json));
    const err = await failure(readJsonBody(new Request("http://gateway/", { method: "POST", body: chunked("x".repeat(2 * MB)), headers: { "content-length": "1e3" } }), 1 * MB));
    expect(err.status).toBe(413);
  });
});

describe("success headers", () => {
  it("carries LiteLLM's headers and the content type on JSON answers", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const res = await gw.post("/v1/chat/completions", { model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    for (const name of ["x-litellm-call-id", "x-litellm-model-id", "x-litellm-model-group", "x-litellm-model-api-base", "x-litellm-response-duration-ms", "x-litellm-overhead-duration-ms"]) {
      expect(res.headers.get(name), name).toBeTruthy();
    }
    expect(res.headers.get("x-litellm-attempted-retries")).toBe("0");
    expect(res.headers.get("x-litellm-model-group")).toBe("gpt-test");
  });

  it("marks streams as text/event-stream, not cached", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const res = await gw.post("/v1/chat/completions", { model: "gpt-test", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-litellm-model-group")).toBe("gpt-test");
    await res.text();
  });
});
