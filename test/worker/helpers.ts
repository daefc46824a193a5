// Builds a gateway from an inline config and calls it inside workerd with the test's real bindings.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { batchesDelivered } from "../../src/limits/settle-batch";
import { createGateway } from "../../src/http/app";
import { compileConfig } from "../../src/config/compile";
import type { GatewayConfigInput } from "../../src/schema/config";
import type { Env } from "../../src/env";

export const MOCK_URL = (env as unknown as { MOCK_URL: string }).MOCK_URL;
export const MASTER_KEY = "sk-master-test-1234";

export interface TestGateway {
  fetch(path: string, init?: RequestInit & { json?: unknown; key?: string | null }): Promise<Response>;
  /** Posts JSON with the master key. */
  post(path: string, json: unknown, key?: string | null): Promise<Response>;
  env: Env;
  /** The Hono app itself (for checks on its router). */
  app: ReturnType<typeof createGateway>;
}

export async function testGateway(config: GatewayConfigInput, extraEnv: Record<string, unknown> = {}): Promise<TestGateway> {
  const compiled = await compileConfig({ general_settings: { master_key: MASTER_KEY }, ...config });
  const app = createGateway(compiled);
  const testEnv = { ...(env as unknown as Env), ...extraEnv } as Env;
  const call = async (path: string, init: RequestInit & { json?: unknown; key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const key = init.key === undefined ? MASTER_KEY : init.key;
    if (key) headers.set("authorization", `Bearer ${key}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://gateway${path}`, { ...init, headers, body }), testEnv, ctx);
    if (res.body && /^(text\/event-stream|audio\/)/.test(res.headers.get("content-type") ?? "")) {
      // A stream's after-work (spend settlement) runs when it ends: finish it once the body has been read.
      const settled = new TransformStream<Uint8Array, Uint8Array>({ flush: () => waitOnExecutionContext(ctx).then(batchesDelivered) });
      return new Response(res.body.pipeThrough(settled), res);
    }
    await waitOnExecutionContext(ctx);
    // Only the call that opened a settlement batch waits for it (src/limits/settle-batch.ts): wait for all.
    await batchesDelivered();
    return res;
  };
  return { fetch: call, post: (path, json, key) => call(path, { method: "POST", json, key }), env: testEnv, app };
}

/** Requests the mock upstream received whose body contains `marker`. */
export async function upstreamRequests(marker: string): Promise<{ path: string; headers: Record<string, string>; body: string; closedEarly: boolean }[]> {
  const res = await fetch(`${MOCK_URL}/__requests?contains=${encodeURIComponent(marker)}`);
  return res.json();
}

/** The spend log row of a call (by its x-litellm-call-id), once it has been written (a settlement trails the answer). */
export async function spendRow(gw: TestGateway, callId: string | null): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const [row] = (await (await gw.fetch(`/spend/logs?request_id=${callId}`)).json()) as any[];
    if (row) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no spend row for ${callId}`);
}

/** Reads an SSE body into its data payloads (parsed JSON, or the raw text for [DONE]). */
export async function readSse(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6))
    .map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

export const openaiModel = (name: string, model = name, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `openai/${model}`, api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-upstream-secret-0000", ...extra },
});

export const ollamaModel = (name: string, model = name, prefix = "ollama_chat") => ({
  model_name: name,
  litellm_params: { model: `${prefix}/${model}`, api_base: MOCK_URL },
});
