// The rest of OpenAI's surface under `npm start`, through the official openai SDK: images.generate,
// audio.transcriptions.create with a real WAV file this test writes, audio.speech.create streamed to a
// file, moderations.create, files.create + batches.create + batches.retrieve; and Cohere's rerank format
// by fetch. Every call's spend must reach /spend/logs at its price (per image, per second of audio, per
// character, per search unit, batch tokens at half price); a key limited to other models is refused on
// each route.
import { createReadStream, createWriteStream, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wavBytes } from "../../src/lib/audio";
import { BATCH_LINE_USAGE, SPEECH_BYTES_PER_CHAR, TRANSCRIPT } from "../mocks/endpoints";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { adminCall, startGateway, type RunningGateway } from "./start";

const MASTER = "sk-e2e-endpoints-master-01";
const UPSTREAM_KEY = "sk-upstream-openai-endpoints";
const PER_IMAGE = 0.04;
const PER_SECOND = 0.0002;
const PER_CHARACTER = 0.00002;
const PER_QUERY = 0.002;
const BATCH_PRICE = { input: 2 ** -20, output: 2 ** -18 };

let mock: MockUpstream;
let gw: RunningGateway;
let dir: string;
let owner: { key: string; token: string };
let client: OpenAI;
/** Expected spend per call id. */
const expected = new Map<string, { call_type: string; spend: number }>();

const admin = (path: string, body?: unknown) => adminCall(gw, MASTER, path, body);

/** A real WAV file: a 440 Hz tone, `seconds` long. */
const writeWav = (path: string, seconds: number) => writeFileSync(path, wavBytes(seconds, 440));

/** Records each answer's call id with what it should cost (the SDK hides headers). */
const recording = (callType: string, spend: (res: Response) => number): typeof fetch => async (input, init) => {
  const res = await fetch(input, init);
  const id = res.headers.get("x-litellm-call-id");
  if (id && res.ok && (!init?.method || init.method === "POST")) expected.set(id, { call_type: callType, spend: spend(res) });
  return res;
};

const sdk = (apiKey: string, f?: typeof fetch) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, ...(f ? { fetch: f } : {}) });

beforeAll(async () => {
  mock = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), "gw-endpoints-"));
  const openai = (name: string, model: string, prices = "") => `  - model_name: ${name}\n    litellm_params: { model: openai/${model}, api_base: ${mock.url}/openai/v1, api_key: os.environ/E2E_OPENAI_KEY${prices} }`;
  gw = await startGateway(
    `
model_list:
${openai("image", "dall-e-3", `, output_cost_per_image: ${PER_IMAGE}`)}
${openai("whisper", "whisper-1", `, input_cost_per_second: ${PER_SECOND}`)}
${openai("tts", "tts-1", `, input_cost_per_character: ${PER_CHARACTER}`)}
${openai("omni-moderation-latest", "omni-moderation-latest")}
${openai("batch-model", "gpt-4.1-mini", `, input_cost_per_token: ${BATCH_PRICE.input}, output_cost_per_token: ${BATCH_PRICE.output}`)}
  - model_name: rerank
    litellm_params: { model: cohere/rerank-v3.5, api_base: ${mock.url}/cohere, api_key: os.environ/E2E_COHERE_KEY, input_cost_per_query: ${PER_QUERY} }
general_settings:
  master_key: os.environ/E2E_MASTER_KEY
`,
    { E2E_MASTER_KEY: MASTER, E2E_OPENAI_KEY: UPSTREAM_KEY, E2E_COHERE_KEY: "co-upstream-key-endpoints" },
  );
  owner = await admin("/key/generate", { key_alias: "endpoints-owner" });
  client = sdk(owner.key);
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

describe("openai SDK against npm start", () => {
  it("images.generate", async () => {
    const images = sdk(owner.key, recording("aimage_generation", () => 2 * PER_IMAGE));
    const res = await images.images.generate({ model: "image", prompt: "a lighthouse", n: 2, size: "1024x1024" });
    expect(res.data).toHaveLength(2);
    expect(res.data![0].b64_json).toBeTruthy();
  });

  it("audio.transcriptions.create with a WAV file written here; cost per second of its audio", async () => {
    const path = join(dir, "tone.wav");
    writeWav(path, 3);
    // The mock reports whole seconds, as OpenAI does.
    const audio = sdk(owner.key, recording("atranscription", () => 3 * PER_SECOND));
    const res = await audio.audio.transcriptions.create({ model: "whisper", file: createReadStream(path), language: "en" });
    expect(res.text).toBe(TRANSCRIPT);
    const verbose = await audio.audio.transcriptions.create({ model: "whisper", file: createReadStream(path), response_format: "verbose_json" });
    expect(verbose).toMatchObject({ duration: 3, text: TRANSCRIPT });
  });

  it("audio.speech.create streamed to a file", async () => {
    const input = "The gateway streams audio through without holding it.";
    const speech = sdk(owner.key, recording("aspeech", () => input.length * PER_CHARACTER));
    const res = await speech.audio.speech.create({ model: "tts", voice: "alloy", input });
    expect(res.headers.get("content-type")).toBe("audio/mpeg");
    const out = join(dir, "speech.mp3");
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(out));
    expect(statSync(out).size).toBe(input.length * SPEECH_BYTES_PER_CHAR);
  });

  it("moderations.create", async () => {
    const moderation = sdk(owner.key, recording("amoderation", () => 0));
    const res = await moderation.moderations.create({ model: "omni-moderation-latest", input: ["hello", "world"] });
    expect(res.results).toHaveLength(2);
    expect(res.results[0].flagged).toBe(false);
  });

  it("files.create + batches.create + batches.retrieve; the completed batch's cost at batch prices, once", async () => {
    const path = join(dir, "batch.jsonl");
    const lines = [0, 1, 2, 3].map((i) => JSON.stringify({ custom_id: `task-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: "batch-model", messages: [{ role: "user", content: `question ${i}` }] } }));
    writeFileSync(path, lines.join("\n") + "\n");
    const file = await client.files.create({ file: createReadStream(path), purpose: "batch" });
    expect(file).toMatchObject({ object: "file", purpose: "batch" });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    expect(batch.status).toBe("validating");
    const done = await client.batches.retrieve(batch.id);
    expect(done.status).toBe("completed");
    const output = await (await client.files.content(done.output_file_id!)).text();
    expect(output.trim().split("\n").map((line) => JSON.parse(line).custom_id)).toEqual(["task-0", "task-1", "task-2", "task-3"]);
    expected.set(batch.id, { call_type: "aretrieve_batch", spend: (4 * (BATCH_LINE_USAGE.prompt_tokens * BATCH_PRICE.input + BATCH_LINE_USAGE.completion_tokens * BATCH_PRICE.output)) / 2 });

    const other = sdk((await admin("/key/generate", { key_alias: "endpoints-other" })).key);
    await expect(other.batches.retrieve(batch.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(other.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(other.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("Cohere's rerank format by fetch, at /v1/rerank and /rerank", async () => {
    for (const path of ["/v1/rerank", "/rerank"]) {
      const res = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "rerank", query: "What is the capital of France?", documents: ["Paris is the capital of France.", "Berlin is in Germany."], top_n: 1 }),
      });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ results: [{ index: 0, relevance_score: expect.any(Number) }], meta: { billed_units: { search_units: 1 } } });
      expected.set(res.headers.get("x-litellm-call-id")!, { call_type: "arerank", spend: PER_QUERY });
    }
  });
});

describe("keys and spend", () => {
  it("a key limited to other models is refused on each route", async () => {
    const limited = sdk((await admin("/key/generate", { models: ["batch-model"] })).key);
    const path = join(dir, "short.wav");
    writeWav(path, 0.5);
    await expect(limited.images.generate({ model: "image", prompt: "x" })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(limited.audio.transcriptions.create({ model: "whisper", file: createReadStream(path) })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(limited.audio.translations.create({ model: "whisper", file: createReadStream(path) })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(limited.audio.speech.create({ model: "tts", voice: "alloy", input: "x" })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(limited.moderations.create({ model: "omni-moderation-latest", input: "x" })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const jsonl = join(dir, "limited.jsonl");
    writeFileSync(jsonl, JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: { model: "image", messages: [] } }) + "\n");
    await expect(limited.files.create({ file: createReadStream(jsonl), purpose: "batch" })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const rerank = await fetch(`${gw.url}/v1/rerank`, { method: "POST", headers: { authorization: `Bearer ${limited.apiKey}`, "content-type": "application/json" }, body: JSON.stringify({ model: "rerank", query: "q", documents: ["d"] }) });
    expect(rerank.status).toBe(403);
  });

  it("every call of the owner's key is in /spend/logs with its call type and cost", async () => {
    expect(expected.size).toBeGreaterThanOrEqual(8);
    let rows: { request_id: string; call_type: string; spend: number; status: string }[] = [];
    for (let i = 0; i < 75; i++) {
      rows = await admin(`/spend/logs?api_key=${owner.token}`);
      if ([...expected.keys()].every((id) => rows.some((r) => r.request_id === id))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const [id, want] of expected) {
      const row = rows.find((r) => r.request_id === id);
      expect(row, `${want.call_type} ${id}`).toBeDefined();
      expect(row).toMatchObject({ call_type: want.call_type, status: "success" });
      expect(row!.spend, want.call_type).toBeCloseTo(want.spend, 12);
    }
    expect(rows.filter((r) => r.call_type === "aretrieve_batch")).toHaveLength(1);
  });

  it("never prints a secret", () => {
    for (const secret of [MASTER, owner.key, UPSTREAM_KEY, "co-upstream-key-endpoints"]) expect(gw.output()).not.toContain(secret);
  });
});
