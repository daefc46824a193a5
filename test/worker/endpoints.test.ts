// Images, audio, speech, moderations, rerank, files and batches through the whole chain inside workerd,
// against the mocks of each provider's wire format (test/mocks/endpoints.ts): the upstream request each
// provider gets, the answer in OpenAI's (or Cohere's) shape, the cost of each kind as LiteLLM prices it
// (bundled table and config prices), reservations, the body cap on uploads, keys limited to other
// models, and files and batches owned by the key that made them.
import { describe, expect, it } from "vitest";
import { wavBytes } from "../../src/lib/audio";
import { MOCK_URL, openaiModel, spendRow, testGateway } from "./helpers";
import { json, newKey, unique } from "./keys-helpers";
import { BATCH_LINE_USAGE, PNG, SPEECH_BYTES_PER_CHAR, TRANSCRIPT } from "../mocks/endpoints";

const wav = (seconds: number) => new Blob([wavBytes(seconds)], { type: "audio/wav" });

function form(fields: Record<string, string | Blob>, fileName = "audio.wav"): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, v, fileName);
  }
  return f;
}


const cf = (name: string, model: string) => ({
  model_name: name,
  litellm_params: { model: `workers_ai/${model}`, api_base: `${MOCK_URL}/cloudflare/client/v4/accounts/acct-1/ai/run`, api_key: "cf-api-token-mock", input_cost_per_second: 0.001, output_cost_per_image: 0.003, input_cost_per_query: 0.0005 },
});

const config = {
  model_list: [
    openaiModel("dalle", "dall-e-3"),
    openaiModel("gpt-image", "gpt-image-1"),
    openaiModel("whisper", "whisper-1"),
    openaiModel("whisper-priced", "whisper-1", { input_cost_per_second: 0.01 }),
    openaiModel("tts", "tts-1"),
    openaiModel("moderation", "omni-moderation-latest"),
    openaiModel("gpt-mini", "gpt-4o-mini"),
    { model_name: "azure-dalle", litellm_params: { model: "azure/my-dalle", api_base: `${MOCK_URL}/azure`, api_key: "azure-upstream-secret-key", api_version: "2025-04-01-preview" }, model_info: { base_model: "dall-e-3" } },
    { model_name: "imagen", litellm_params: { model: "gemini/imagen-4.0-generate-001", api_base: `${MOCK_URL}/gemini`, api_key: "gemini-key" } },
    { model_name: "cohere-rerank", litellm_params: { model: "cohere/rerank-v3.5", api_base: `${MOCK_URL}/cohere`, api_key: "co-key" } },
    { model_name: "jina-rerank", litellm_params: { model: "jina_ai/jina-reranker-v2-base-multilingual", api_base: `${MOCK_URL}/jina`, api_key: "jina-key" } },
    { model_name: "voyage-rerank", litellm_params: { model: "voyage/rerank-2", api_base: `${MOCK_URL}/voyage`, api_key: "voyage-key" } },
    { model_name: "together-rerank", litellm_params: { model: "together_ai/Salesforce/Llama-Rank-V1", api_base: `${MOCK_URL}/together`, api_key: "together-key", input_cost_per_token: 1e-7 } },
    cf("cf-flux", "@cf/black-forest-labs/flux-1-schnell"),
    cf("cf-whisper", "@cf/openai/whisper"),
    cf("cf-whisper-turbo", "@cf/openai/whisper-large-v3-turbo"),
    cf("cf-rerank", "@cf/baai/bge-reranker-base"),
  ],
};

describe("images", () => {
  it("dall-e-3 on openai/: the answer passes through; cost from the hd/1024-x-1792 entry (per pixel)", async () => {
    const gw = await testGateway(config);
    const res = await gw.post("/v1/images/generations", { model: "dalle", prompt: "a cat", size: "1024x1792", quality: "hd", n: 2 });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.data).toHaveLength(2);
    expect(body.data[0]).toMatchObject({ b64_json: PNG, revised_prompt: "revised: a cat" });
    const cost = 2 * 6.539e-8 * 1024 * 1792;
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(cost, 12);
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "aimage_generation", model_group: "dalle", status: "success" });
    expect(row.spend).toBeCloseTo(cost, 12);
    expect(row.metadata.billed_units).toMatchObject({ images: 2, size: "1024x1792", quality: "hd" });
  });

  it("gpt-image-1 is priced by its token usage; /images/generations without /v1 too", async () => {
    const gw = await testGateway(config);
    const res = await gw.post("/images/generations", { model: "gpt-image", prompt: "a dog" });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(12 * 5e-6 + 272 * 4e-5, 12);
  });

  it("azure/ goes to the deployment's URL and is priced by base_model; gemini imagen per image; workers_ai flux at the config's price", async () => {
    const gw = await testGateway(config);
    const marker = unique("azure-image");
    const az = await gw.post("/v1/images/generations", { model: "azure-dalle", prompt: marker });
    expect(az.status).toBe(200);
    expect(az.headers.get("x-litellm-model-api-base")).toBe(`${MOCK_URL}/azure/openai/deployments/my-dalle/images/generations`);
    expect(Number(az.headers.get("x-litellm-response-cost"))).toBeCloseTo(3.81469e-8 * 1024 * 1024, 12);

    const im = await gw.post("/v1/images/generations", { model: "imagen", prompt: "x", n: 2, size: "1792x1024" });
    expect(await json(im)).toMatchObject({ data: [{ b64_json: PNG }, { b64_json: PNG }] });
    expect(Number(im.headers.get("x-litellm-response-cost"))).toBeCloseTo(0.08, 12);
    const [seen] = ((await (await fetch(`${MOCK_URL}/__requests`)).json()) as any[]).filter((r: any) => r.path.endsWith(":predict")).slice(-1);
    expect(JSON.parse(seen.body)).toEqual({ instances: [{ prompt: "x" }], parameters: { sampleCount: 2, aspectRatio: "16:9" } });

    const flux = await gw.post("/v1/images/generations", { model: "cf-flux", prompt: "y" });
    expect((await json(flux)).data).toEqual([{ b64_json: PNG }]);
    expect(Number(flux.headers.get("x-litellm-response-cost"))).toBeCloseTo(0.003, 12);
  });
});

describe("audio", () => {
  it("transcribes a multipart WAV upload: the file reaches the upstream intact, cost per second of audio", async () => {
    const gw = await testGateway(config);
    const audio = wav(2.5);
    const res = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body: form({ model: "whisper", file: audio, language: "en", "timestamp_granularities[]": "word" }) });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ text: TRANSCRIPT, usage: { type: "duration", seconds: 3 } });
    // whisper-1 bills the provider's rounded duration: 3 s at 0.0001 $/s (output_cost_per_second, as LiteLLM).
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(3 * 0.0001, 12);
    const seen = ((await (await fetch(`${MOCK_URL}/__requests`)).json()) as any[]).filter((r: any) => r.path === "/openai/v1/audio/transcriptions").at(-1);
    expect(seen.body).toContain('name="model"\r\n\r\nwhisper-1');
    expect(seen.body).toContain('name="timestamp_granularities[]"\r\n\r\nword');
    expect(seen.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "atranscription", status: "success" });
  });

  it("response_format text comes back as text; the config's per-second price and the file's own length when the answer has none", async () => {
    const gw = await testGateway(config);
    const res = await gw.fetch("/audio/translations", { method: "POST", body: form({ model: "whisper-priced", file: wav(1.5), response_format: "text" }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe(`${TRANSCRIPT}\n`);
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(1.5 * 0.01, 12);
  });

  it("Workers AI Whisper: bytes as numbers for whisper, base64 for large-v3-turbo; OpenAI's answer with the duration", async () => {
    const gw = await testGateway(config);
    for (const model of ["cf-whisper", "cf-whisper-turbo"]) {
      const res = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body: form({ model, file: wav(2), response_format: "verbose_json" }) });
      expect(res.status, model).toBe(200);
      expect(await json(res)).toMatchObject({ task: "transcribe", text: TRANSCRIPT, duration: 2, usage: { type: "duration", seconds: 2 } });
      expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(2 * 0.001, 12);
    }
  });

  it("an upload over the body cap is refused with 413 before it is read; a form without a file is a 400", async () => {
    const gw = await testGateway({ ...config, general_settings: { max_request_size_mb: 0.01 } });
    const big = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body: form({ model: "whisper", file: wav(2) }) });
    expect(big.status).toBe(413);
    const missing = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body: form({ model: "whisper" }) });
    expect(missing.status).toBe(400);
    expect((await json(missing)).error.message).toContain("file");
    const notForm = await gw.post("/v1/audio/transcriptions", { model: "whisper" });
    expect(notForm.status).toBe(400);
  });

  it("speech streams the audio bytes through with their type; cost per character once the last byte is sent", async () => {
    const gw = await testGateway(config);
    const input = "Hello there, this is speech.";
    const res = await gw.post("/v1/audio/speech", { model: "tts", input, voice: "alloy" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("audio/mpeg");
    const reader = res.body!.getReader();
    let bytes = 0;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      chunks++;
    }
    expect(bytes).toBe(input.length * SPEECH_BYTES_PER_CHAR);
    expect(chunks).toBeGreaterThan(1);
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "aspeech", status: "success" });
    expect(row.spend).toBeCloseTo(input.length * 1.5e-5, 12);
  });
});

describe("moderations and rerank", () => {
  it("moderations pass through (model defaults to omni-moderation-latest when configured)", async () => {
    const gw = await testGateway({ model_list: [openaiModel("omni-moderation-latest")] });
    const res = await gw.post("/v1/moderations", { input: ["hi", "there"] });
    expect(res.status).toBe(200);
    expect((await json(res)).results).toHaveLength(2);
    expect((await spendRow(gw, res.headers.get("x-litellm-call-id"))).call_type).toBe("amoderation");
  });

  it("Cohere's rerank shape from every reranker; cost per search unit (cohere) or per token (jina, voyage, together)", async () => {
    const gw = await testGateway(config);
    const documents = ["Paris is in France", "Berlin is in Germany", { text: "Rome is in Italy" }];
    const co = await gw.post("/v1/rerank", { model: "cohere-rerank", query: "capital of France?", documents, top_n: 2, return_documents: true });
    expect(await json(co)).toEqual({
      id: "rerank-cohere-mock",
      results: [
        { index: 0, relevance_score: 1, document: { text: "Paris is in France" } },
        { index: 1, relevance_score: 0.75, document: { text: "Berlin is in Germany" } },
      ],
      meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } },
    });
    expect(Number(co.headers.get("x-litellm-response-cost"))).toBeCloseTo(0.002, 12);
    for (const [model, price] of [["jina-rerank", 1.8e-8], ["voyage-rerank", 5e-8], ["together-rerank", 1e-7]] as const) {
      const res = await gw.post("/rerank", { model, query: "capital of France?", documents, return_documents: true });
      expect(res.status, model).toBe(200);
      const body = await json(res);
      expect(body.results[2]).toMatchObject({ index: 2, document: { text: "Rome is in Italy" } });
      const tokens = body.meta.billed_units.total_tokens;
      expect(tokens).toBeGreaterThan(0);
      expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(tokens * price, 14);
    }
    const cfr = await gw.post("/v1/rerank", { model: "cf-rerank", query: "q", documents: ["a", "b", "c"] });
    expect((await json(cfr)).results.map((r: any) => r.index)).toEqual([0, 1, 2]);
    expect(Number(cfr.headers.get("x-litellm-response-cost"))).toBeCloseTo(0.0005, 12);
  });

  it("a key limited to other models is refused on every route; a provider without the endpoint is a 400", async () => {
    const gw = await testGateway(config);
    const limited = await newKey(gw, { models: ["gpt-mini"] });
    const calls: [string, RequestInit][] = [
      ["/v1/images/generations", { method: "POST", body: JSON.stringify({ model: "dalle", prompt: "x" }), headers: { "content-type": "application/json" } }],
      ["/v1/audio/transcriptions", { method: "POST", body: form({ model: "whisper", file: wav(0.5) }) }],
      ["/v1/audio/translations", { method: "POST", body: form({ model: "whisper", file: wav(0.5) }) }],
      ["/v1/audio/speech", { method: "POST", body: JSON.stringify({ model: "tts", input: "x", voice: "alloy" }), headers: { "content-type": "application/json" } }],
      ["/v1/moderations", { method: "POST", body: JSON.stringify({ model: "moderation", input: "x" }), headers: { "content-type": "application/json" } }],
      ["/v1/rerank", { method: "POST", body: JSON.stringify({ model: "cohere-rerank", query: "x", documents: ["y"] }), headers: { "content-type": "application/json" } }],
      ["/v1/files", { method: "POST", body: form({ purpose: "batch", model: "gpt-mini", file: new Blob(["{}"]) }, "in.jsonl") }],
    ];
    for (const [path, init] of calls) {
      const res = await gw.fetch(path, { ...init, key: limited.key });
      if (path === "/v1/files") expect(res.status, path).toBe(200);
      else {
        expect(res.status, path).toBe(403);
        expect((await json(res)).error.type).toBe("key_model_access_denied");
      }
    }
    // Batches: a batch file naming a model the key may not use is refused at upload, and a batch of a file
    // uploaded before the key's models were narrowed is refused at creation.
    const batchFile = (model: string) => form({ purpose: "batch", file: new Blob([JSON.stringify({ custom_id: "r0", method: "POST", url: "/v1/chat/completions", body: { model, messages: [{ role: "user", content: "hi" }] } })]) }, "in.jsonl");
    const refusedUpload = await gw.fetch("/v1/files", { method: "POST", key: limited.key, body: batchFile("moderation") });
    expect(refusedUpload.status).toBe(403);
    expect((await json(refusedUpload)).error.type).toBe("key_model_access_denied");
    const narrowed = await newKey(gw);
    const uploaded = await json(gw.fetch("/v1/files", { method: "POST", key: narrowed.key, body: batchFile("gpt-mini") }));
    expect((await gw.post("/key/update", { key: narrowed.key, models: ["whisper"] })).status).toBe(200);
    const refusedBatch = await gw.post("/v1/batches", { input_file_id: uploaded.id, endpoint: "/v1/chat/completions", completion_window: "24h" }, narrowed.key);
    expect(refusedBatch.status).toBe(403);
    expect((await json(refusedBatch)).error.type).toBe("key_model_access_denied");

    const wrong = await gw.post("/v1/images/generations", { model: "cohere-rerank", prompt: "x" });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error.message).toContain("cohere models do not support /images/generations");
  });
});

describe("files and batches", () => {
  const batchLines = (model: string, n: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `r${i}`, method: "POST", url: "/v1/chat/completions", body: { model, messages: [{ role: "user", content: `hi ${i}` }] } })).join("\n");

  it("upload (model from the batch file) -> batch -> retrieve: owned by the key, another key gets 404, cost at batch prices once", async () => {
    const gw = await testGateway(config);
    const owner = await newKey(gw);
    const other = await newKey(gw);
    const upload = await gw.fetch("/v1/files", { method: "POST", key: owner.key, body: form({ purpose: "batch", file: new Blob([batchLines("gpt-mini", 3)]) }, "in.jsonl") });
    expect(upload.status).toBe(200);
    const file = await json(upload);
    expect(file).toMatchObject({ object: "file", purpose: "batch", filename: "in.jsonl" });
    // The file's requests name the model group; the upstream gets its own model id.
    const seen = ((await (await fetch(`${MOCK_URL}/__requests`)).json()) as any[]).filter((r: any) => r.path === "/openai/v1/files").at(-1);
    expect(seen.body).toContain('"model":"gpt-4o-mini"');
    expect((await spendRow(gw, upload.headers.get("x-litellm-call-id"))).call_type).toBe("acreate_file");

    expect((await gw.fetch(`/v1/files/${file.id}`, { key: other.key })).status).toBe(404);
    expect((await gw.post("/v1/batches", { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }, other.key)).status).toBe(404);
    expect((await gw.fetch(`/v1/files/${file.id}`, { key: owner.key })).status).toBe(200);

    const created = await gw.post("/v1/batches", { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }, owner.key);
    expect(created.status).toBe(200);
    const batch = await json(created);
    expect(batch).toMatchObject({ object: "batch", status: "validating", input_file_id: file.id });
    expect((await gw.fetch(`/v1/batches/${batch.id}`, { key: other.key })).status).toBe(404);

    const done = await json(gw.fetch(`/v1/batches/${batch.id}`, { key: owner.key }));
    expect(done.status).toBe("completed");
    // gpt-4o-mini: 0.15 / 0.60 $ per M tokens, halved for batches; 3 lines.
    const cost = 3 * (BATCH_LINE_USAGE.prompt_tokens * 1.5e-7 + BATCH_LINE_USAGE.completion_tokens * 6e-7) / 2;
    const row = await spendRow(gw, batch.id);
    expect(row).toMatchObject({ call_type: "aretrieve_batch", model_group: "gpt-mini", prompt_tokens: 30, completion_tokens: 15, api_key: owner.token });
    expect(row.spend).toBeCloseTo(cost, 15);
    // Retrieved again: no second row, the same spend.
    await gw.fetch(`/v1/batches/${batch.id}`, { key: owner.key });
    const rows = await json(gw.fetch(`/spend/logs?api_key=${owner.token}`));
    expect(rows.filter((r: any) => r.call_type === "aretrieve_batch")).toHaveLength(1);

    // The output file the provider made is the batch owner's too.
    const output = await gw.fetch(`/v1/files/${done.output_file_id}/content`, { key: owner.key });
    expect((await output.text()).trim().split("\n")).toHaveLength(3);
    expect((await gw.fetch(`/v1/files/${done.output_file_id}/content`, { key: other.key })).status).toBe(404);
    const list = await json(gw.fetch("/v1/batches?limit=5", { key: owner.key }));
    expect(list).toMatchObject({ object: "list", data: [{ id: batch.id }], has_more: false });
    expect((await json(gw.fetch("/v1/files", { key: other.key }))).data).toEqual([]);
    const deleted = await gw.fetch(`/v1/files/${file.id}`, { method: "DELETE", key: owner.key });
    expect(await json(deleted)).toMatchObject({ id: file.id, deleted: true });
    expect((await gw.fetch(`/v1/files/${file.id}`, { key: owner.key })).status).toBe(404);
  });

  it("a file for no model, or for several, is a 400 naming what to send", async () => {
    const gw = await testGateway(config);
    const none = await gw.fetch("/v1/files", { method: "POST", body: form({ purpose: "assistants", file: new Blob(["x"]) }, "x.txt") });
    expect(none.status).toBe(400);
    expect((await json(none)).error.message).toContain("target_model_names");
    const two = await gw.fetch("/v1/files", { method: "POST", body: form({ purpose: "batch", file: new Blob([`${batchLines("gpt-mini", 1)}\n${batchLines("dalle", 1)}`]) }, "in.jsonl") });
    expect(two.status).toBe(400);
    const named = await gw.fetch("/v1/files", { method: "POST", body: form({ purpose: "assistants", target_model_names: "gpt-mini", file: new Blob(["x"]) }, "x.txt") });
    expect(named.status).toBe(200);
  });
});
