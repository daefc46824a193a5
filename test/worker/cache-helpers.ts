// Shared by the response cache tests (cache.test.ts, cache-answers.test.ts).
import { cacheWorkDone } from "../../src/cache/pending";
import type { GatewayConfigInput } from "../../src/schema/config";
import { openaiModel, upstreamRequests, type TestGateway } from "./helpers";

export const cacheConfig = (params: Record<string, unknown> = {}, extra: Partial<GatewayConfigInput> = {}): GatewayConfigInput => ({
  model_list: [openaiModel("gpt", "gpt-4o"), openaiModel("gpt-other", "gpt-4o"), openaiModel("embed", "text-embed-3"), openaiModel("breaks", "stream-break")],
  litellm_settings: { cache: true, cache_params: { type: "redis", host: "localhost", port: 6379, ...params } },
  ...extra,
});

export const marker = () => `q-${crypto.randomUUID()}`;

/** A chat call; waits for what the cache stores in the background, so the next call can find it. */
export async function ask(gw: TestGateway, content: string, extra: Record<string, unknown> = {}, init: { headers?: Record<string, string>; key?: string | null } = {}) {
  const res = await gw.fetch("/v1/chat/completions", { method: "POST", json: { model: "gpt", messages: [{ role: "user", content }], ...extra }, ...init });
  const text = await res.text();
  await cacheWorkDone();
  return { res, text, status: res.status, hit: res.headers.get("x-litellm-cache-hit") === "true", key: res.headers.get("x-litellm-cache-key") };
}

export const upstreamCount = async (m: string) => (await upstreamRequests(m)).length;
