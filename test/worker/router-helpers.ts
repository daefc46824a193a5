// Small helpers shared by the router tests.
import { env } from "cloudflare:test";
import type { Env } from "../../src/env";
import { routerStateFor } from "../../src/router/edge-rpc";
import { MOCK_URL } from "./helpers";

export const bindings = env as unknown as Env;

/** A short unique suffix, so each test has its own deployment ids (KV and the Durable Objects outlive a test). */
export const uid = () => crypto.randomUUID().slice(0, 8);

export const chat = (model: string, content = "hi", extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content }], ...extra });

/** A deployment answering locally (mock_response), with a unique upstream id. */
export const mockModel = (name: string, extra: Record<string, unknown> = {}, info: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `openai/${name}-${uid()}`, mock_response: "ok", ...extra },
  model_info: info,
});

/** The model group's RouterState Durable Object. */
export const edgeState = (group: string) => routerStateFor(bindings.ROUTER_STATE!, group);

/** Requests the mock upstream got for an upstream model id (they are recorded with their body). */
export async function upstreamCalls(upstreamModel: string): Promise<{ closedEarly: boolean; body: string }[]> {
  const res = await fetch(`${MOCK_URL}/__requests?contains=${encodeURIComponent(`"model":"${upstreamModel}"`)}`);
  return res.json();
}
