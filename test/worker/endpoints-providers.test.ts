// More of the new endpoints inside workerd: Azure's URLs for audio, files and batches (the batch file's
// model becomes the deployment name), token-priced transcription (audio tokens at their own price),
// speech whose client leaves mid-stream (charged, marked aborted), refusals (streamed images), the
// reservation of each kind, and /health probing each model_info.mode.
import { describe, expect, it } from "vitest";
import { wavBytes } from "../../src/lib/audio";
import { candidateGroups, reservationFor } from "../../src/spend/cost";
import type { LlmRequest } from "../../src/core/call";
import { compileConfig } from "../../src/config/compile";
import { buildRuntime } from "../../src/config/runtime";
import { MOCK_URL, openaiModel, spendRow, testGateway } from "./helpers";
import { json, newKey } from "./keys-helpers";
import { BATCH_LINE_USAGE, TRANSCRIBE_TOKENS } from "../mocks/endpoints";

const wav = (seconds: number) => new Blob([wavBytes(seconds)], { type: "audio/wav" });


const requestsTo = async (path: string): Promise<any[]> => ((await (await fetch(`${MOCK_URL}/__requests`)).json()) as any[]).filter((r) => r.path === path);

const azure = (name: string, deployment: string, info: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `azure/${deployment}`, api_base: `${MOCK_URL}/azure`, api_key: "azure-upstream-secret-key", api_version: "2025-04-01-preview", input_cost_per_token: 2 ** -20, output_cost_per_token: 2 ** -18 },
  model_info: info,
});

describe("azure/", () => {
  it("transcribes at the deployment's URL with the deployment as model", async () => {
    const gw = await testGateway({ model_list: [azure("az-whisper", "my-whisper", { base_model: "whisper-1" })] });
    const body = new FormData();
    body.append("model", "az-whisper");
    body.append("file", wav(1), "a.wav");
    const res = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-api-base")).toBe(`${MOCK_URL}/azure/openai/deployments/my-whisper/audio/transcriptions`);
    const [seen] = (await requestsTo("/azure/openai/deployments/my-whisper/audio/transcriptions")).slice(-1);
    expect(seen.body).toContain('name="model"\r\n\r\nmy-whisper');
  });

  it("files and batches per resource; the batch file names the deployment; cost at half the config's token prices", async () => {
    const gw = await testGateway({ model_list: [azure("az-gpt", "gpt4o-batch")] });
    const owner = await newKey(gw);
    const lines = [0, 1].map((i) => JSON.stringify({ custom_id: `c${i}`, method: "POST", url: "/chat/completions", body: { model: "az-gpt", messages: [{ role: "user", content: "hi" }] } })).join("\n");
    const body = new FormData();
    body.append("purpose", "batch");
    body.append("file", new Blob([lines]), "in.jsonl");
    const upload = await gw.fetch("/files", { method: "POST", body, key: owner.key });
    expect(upload.status).toBe(200);
    expect(upload.headers.get("x-litellm-model-api-base")).toBe(`${MOCK_URL}/azure/openai/files`);
    const [seen] = (await requestsTo("/azure/openai/files")).slice(-1);
    expect(seen.body).toContain('"model":"gpt4o-batch"');
    const file = await json(upload);
    const batch = await json(gw.post("/batches", { input_file_id: file.id, endpoint: "/chat/completions", completion_window: "24h" }, owner.key));
    expect((await json(gw.fetch(`/batches/${batch.id}`, { key: owner.key }))).status).toBe("completed");
    const row = await spendRow(gw, batch.id);
    expect(row).toMatchObject({ call_type: "aretrieve_batch", custom_llm_provider: "azure", prompt_tokens: 2 * BATCH_LINE_USAGE.prompt_tokens });
    expect(row.spend).toBe((2 * (BATCH_LINE_USAGE.prompt_tokens * 2 ** -20 + BATCH_LINE_USAGE.completion_tokens * 2 ** -18)) / 2);
    const cancel = await gw.fetch(`/batches/${batch.id}/cancel`, { method: "POST", key: owner.key });
    expect((await json(cancel)).status).toBe("cancelling");
  });
});

describe("costs and refusals", () => {
  it("gpt-4o-transcribe is priced by tokens, its audio tokens at input_cost_per_audio_token", async () => {
    const gw = await testGateway({ model_list: [openaiModel("transcribe", "gpt-4o-transcribe")] });
    const body = new FormData();
    body.append("model", "transcribe");
    body.append("file", wav(1), "a.wav");
    const res = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body });
    expect(res.status).toBe(200);
    const t = TRANSCRIBE_TOKENS;
    const cost = (t.input_tokens - t.input_token_details.audio_tokens) * 2.5e-6 + t.input_token_details.audio_tokens * 6e-6 + t.output_tokens * 1e-5;
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(cost, 12);
  });

  it("a multipart call falls back with its file, and a request fallback's params apply (form fields as JSON)", async () => {
    const gw = await testGateway({ model_list: [openaiModel("broken-stt", "error-503"), openaiModel("whisper", "whisper-1")], router_settings: { num_retries: 0 } });
    const body = new FormData();
    body.append("model", "broken-stt");
    body.append("file", wav(1), "a.wav");
    body.append("fallbacks", JSON.stringify([{ model: "whisper", language: "fr" }]));
    const res = await gw.fetch("/v1/audio/transcriptions", { method: "POST", body });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe("whisper");
    expect(res.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    const [seen] = (await requestsTo("/openai/v1/audio/transcriptions")).slice(-1);
    expect(seen.body).toContain('name="language"\r\n\r\nfr');
    expect(seen.body).toContain('name="model"\r\n\r\nwhisper-1');
    expect(seen.body).not.toContain('name="fallbacks"');
  });

  it("a client that leaves during speech: the call is aborted and still charged for its characters", async () => {
    const gw = await testGateway({ model_list: [openaiModel("tts", "tts-1")] });
    const input = "A long sentence to speak.";
    const res = await gw.post("/v1/audio/speech", { model: "tts", input, voice: "alloy" });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row.status).toBe("aborted");
    expect(row.spend).toBeCloseTo(input.length * 1.5e-5, 12);
  });

  it("streamed images are refused with a 400 naming the field", async () => {
    const gw = await testGateway({ model_list: [openaiModel("img", "gpt-image-1")] });
    const res = await gw.post("/v1/images/generations", { model: "img", prompt: "x", stream: true });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain("stream");
  });

  it("reserves the most each kind can cost: images by size and quality, audio by the file's length, speech by characters, rerank by search units", async () => {
    const config = {
      model_list: [
        openaiModel("dalle", "dall-e-3"),
        openaiModel("whisper", "whisper-1"),
        openaiModel("tts", "tts-1-hd"),
        { model_name: "co", litellm_params: { model: "cohere/rerank-v3.5", api_key: "x" } },
      ],
    };
    const gw = await testGateway(config);
    const book = { version: 0, uploaded: new Map() };
    const rt = buildRuntime(await compileConfig(config), gw.env);
    const reserve = (model: string, request: LlmRequest) => reservationFor(request, candidateGroups(rt.resolveModel(model)!, rt), book).cost;
    expect(reserve("dalle", { endpoint: "image_generation", body: { model: "dalle", prompt: "x", n: 3, size: "1792x1024", quality: "hd" } })).toBeCloseTo(3 * 6.539e-8 * 1792 * 1024, 12);
    const file = new File([wav(10)], "a.wav");
    expect(reserve("whisper", { endpoint: "transcription", body: { model: "whisper", file }, audioSeconds: 10 })).toBeCloseTo(10 * 0.0001, 12);
    // Without a readable header: the file's size at 16 kbit/s.
    expect(reserve("whisper", { endpoint: "transcription", body: { model: "whisper", file } })).toBeCloseTo((file.size / 2000) * 0.0001, 12);
    expect(reserve("tts", { endpoint: "speech", body: { model: "tts", input: "x".repeat(1000), voice: "alloy" } })).toBeCloseTo(1000 * 3e-5, 12);
    expect(reserve("co", { endpoint: "rerank", body: { model: "co", query: "q", documents: Array.from({ length: 250 }, () => "d") } })).toBeCloseTo(3 * 0.002, 12);
  });
});

describe("/health", () => {
  it("probes each mode with its smallest request", async () => {
    const gw = await testGateway({
      model_list: [
        { ...openaiModel("img", "dall-e-2"), model_info: { mode: "image_generation" } },
        { ...openaiModel("stt", "whisper-1"), model_info: { mode: "audio_transcription" } },
        { ...openaiModel("tts", "tts-1"), model_info: { mode: "audio_speech" } },
        { ...openaiModel("mod", "omni-moderation-latest"), model_info: { mode: "moderation" } },
        { model_name: "co", litellm_params: { model: "cohere/rerank-v3.5", api_base: `${MOCK_URL}/cohere`, api_key: "co" }, model_info: { mode: "rerank" } },
      ],
    });
    const res = await json(gw.fetch("/health"));
    expect(res.unhealthy_endpoints).toEqual([]);
    expect(res.healthy_endpoints.map((e: any) => e.model_name).sort()).toEqual(["co", "img", "mod", "stt", "tts"]);
    const [probe] = (await requestsTo("/openai/v1/audio/transcriptions")).slice(-1);
    expect(probe.body).toContain('filename="ping.wav"');
  });
});
