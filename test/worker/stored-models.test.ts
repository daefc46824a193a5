// Models added at runtime (general_settings.store_model_in_db): /model/new, /model/update, /model/delete
// and /model/info in LiteLLM's shapes, stored in D1 with their credentials sealed, merged with the config's
// models, served at once by the isolate that made the change and by another within the refresh interval.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createGateway } from "../../src/http/app";
import { compileConfig, ConfigError } from "../../src/config/compile";
import { LiveRuntime, STORED_MODELS_REFRESH_MS } from "../../src/config/live-runtime";
import { routerFor } from "../../src/router";
import type { GatewayConfigInput } from "../../src/schema/config";
import { MASTER_KEY, MOCK_URL, testGateway, upstreamRequests, type TestGateway } from "./helpers";
import { newKey } from "./keys-helpers";

const SALT = "salt-for-stored-models-test-0001";
const UPSTREAM_SECRET = "sk-stored-upstream-secret-9876";
const HEADER_SECRET = "cf-access-secret-value-5555";
const uid = () => crypto.randomUUID().slice(0, 8);

const config = (store = true): GatewayConfigInput => ({
  model_list: [{ model_name: "from-config", litellm_params: { model: "openai/from-config", mock_response: "config answer" } }],
  general_settings: { master_key: MASTER_KEY, store_model_in_db: store },
});

/** A model on the mock OpenAI upstream with an API key and a secret header. */
const upstreamModel = (name: string, model = "gpt-4o") => ({
  model_name: name,
  litellm_params: { model: `openai/${model}`, api_base: `${MOCK_URL}/openai/v1`, api_key: UPSTREAM_SECRET, extra_headers: { "CF-Access-Client-Secret": HEADER_SECRET } },
  model_info: { mode: "chat" },
});

const chat = (gw: TestGateway, model: string, content = "hi", key?: string) => gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content }] }, key);
const json = async (res: Response) => (await res.json()) as any;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A second isolate: another gateway app on the same env (its own runtime, router and refresh clock). */
async function otherIsolate(gw: TestGateway, cfg: GatewayConfigInput): Promise<TestGateway> {
  const app = createGateway(await compileConfig(cfg));
  const call = async (path: string, init: RequestInit & { json?: unknown; key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${init.key ?? MASTER_KEY}`);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://gateway${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) }), gw.env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  return { fetch: call, post: (path, body, key) => call(path, { method: "POST", json: body, key }), env: gw.env, app };
}

describe("models stored at runtime", () => {
  it("adds a model: LiteLLM's answer without credentials, in /v1/models and /model/info, callable at once with its credentials", async () => {
    const gw = await testGateway(config(), { LITELLM_SALT_KEY: SALT });
    const name = `runtime-${uid()}`;
    const res = await gw.post("/model/new", upstreamModel(name));
    expect(res.status).toBe(200);
    const created = await json(res);
    expect(created).toMatchObject({
      model_id: expect.any(String),
      model_name: name,
      litellm_params: { model: "openai/gpt-4o", api_base: `${MOCK_URL}/openai/v1`, extra_headers: { "CF-Access-Client-Secret": "[redacted]" } },
      model_info: { id: created.model_id, mode: "chat", db_model: true },
      created_by: "admin",
      created_at: expect.stringMatching(/^\d{4}-/),
    });
    expect(created.litellm_params.api_key).toBeUndefined();

    const models = await json(await gw.fetch("/v1/models"));
    // (D1 is shared by this file's tests: other tests' models are there too, after the config's)
    const ids = models.data.map((m: any) => m.id);
    expect(ids[0]).toBe("from-config");
    expect(ids).toContain(name);
    const info = await json(await gw.fetch("/model/info"));
    expect(info.data[0]).toMatchObject({ model_name: "from-config", model_info: { db_model: false } });
    expect(info.data.find((d: any) => d.model_name === name).model_info.db_model).toBe(true);
    const one = await json(await gw.fetch(`/v1/model/info?litellm_model_id=${created.model_id}`));
    expect(one.data).toHaveLength(1);

    const marker = `marker-${uid()}`;
    const answer = await chat(gw, name, marker);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-litellm-model-id")).toBe(created.model_id);
    const [sent] = await upstreamRequests(marker);
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect(sent.headers["cf-access-client-secret"]).toBe(HEADER_SECRET);

    // No answer of any route shows a credential.
    for (const path of ["/model/info", "/v1/models", "/ui/api/models", "/ui/api/config", "/health"]) {
      const text = await (await gw.fetch(path)).text();
      expect(text, path).not.toContain(UPSTREAM_SECRET);
      expect(text, path).not.toContain(HEADER_SECRET);
    }
    expect(JSON.stringify(created)).not.toContain(UPSTREAM_SECRET);
  });

  it("keeps the credentials sealed in D1 (AES-GCM, bound to the model), never in clear", async () => {
    const gw = await testGateway(config(), { LITELLM_SALT_KEY: SALT });
    const { model_id } = await json(await gw.post("/model/new", upstreamModel(`sealed-${uid()}`)));
    const row = await gw.env.DB.prepare("SELECT * FROM stored_models WHERE model_id = ?").bind(model_id).first<Record<string, string>>();
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(UPSTREAM_SECRET);
    expect(raw).not.toContain(HEADER_SECRET);
    const params = JSON.parse(row!.litellm_params);
    expect(params.api_key).toMatch(/^sealed:v1:[A-Za-z0-9_-]+$/);
    expect(params.extra_headers["CF-Access-Client-Secret"]).toMatch(/^sealed:v1:/);
    expect(params.api_base).toBe(`${MOCK_URL}/openai/v1`); // not a credential: as written

    // Under another LITELLM_SALT_KEY the model is there but cannot be called, and says why (no upstream call).
    const other = await testGateway(config(), { LITELLM_SALT_KEY: "another-salt-entirely" });
    const res = await other.post("/v1/chat/completions", { model: row!.model_name, messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(500);
    expect((await json(res)).error.message).toContain("cannot be decrypted with this LITELLM_SALT_KEY");
  });

  it("refuses a credential without LITELLM_SALT_KEY (nothing in clear), and takes os.environ/NAME without one", async () => {
    const gw = await testGateway(config());
    const res = await gw.post("/model/new", upstreamModel(`nosalt-${uid()}`));
    expect(res.status).toBe(400);
    const error = (await json(res)).error;
    expect(error.message).toContain("LITELLM_SALT_KEY is not set");
    expect(error.message).toContain("litellm_params.api_key");
    expect(error.message).not.toContain(UPSTREAM_SECRET);

    const byName = await gw.post("/model/new", { model_name: `env-${uid()}`, litellm_params: { model: "openai/gpt-4o", api_key: "os.environ/SOME_PROVIDER_KEY" } });
    expect(byName.status).toBe(200);
    expect((await json(byName)).litellm_params.api_key).toBeUndefined();
  });

  it("refuses a bad entry with the config's own words", async () => {
    const gw = await testGateway(config(), { LITELLM_SALT_KEY: SALT });
    for (const bad of [
      { model_name: "bad-provider", litellm_params: { model: "nosuchprovider/x" } },
      { model_name: "bad-rpm", litellm_params: { model: "openai/gpt-4o", rpm: "ten" } },
    ]) {
      const configIssue = await compileConfig({ model_list: [bad] }).then(
        () => "",
        (err: ConfigError) => err.issues[0].replace("model_list[0].", ""),
      );
      expect(configIssue).not.toBe("");
      const res = await gw.post("/model/new", bad);
      expect(res.status).toBe(400);
      expect((await json(res)).error).toMatchObject({ message: `Invalid model: ${configIssue}`, param: configIssue.split(": ")[0], code: "400" });
    }
    const missingName = await gw.post("/model/new", { litellm_params: { model: "openai/gpt-4o" } });
    expect((await json(missingName)).error.message).toMatch(/^Invalid model: model_name: /);
    // The id of a config model, or of a stored one, is taken.
    const configId = (await json(await gw.fetch("/model/info"))).data[0].model_info.id;
    const clash = await gw.post("/model/new", { model_name: "clash", litellm_params: { model: "openai/x", mock_response: "y" }, model_info: { id: configId } });
    expect((await json(clash)).error.message).toBe(`Invalid model: model_info.id: duplicate id '${configId}'`);
    const id = `mine-${uid()}`;
    expect((await gw.post("/model/new", { model_name: "a", litellm_params: { model: "openai/x", mock_response: "y" }, model_info: { id } })).status).toBe(200);
    expect((await json(await gw.post("/model/new", { model_name: "b", litellm_params: { model: "openai/x", mock_response: "y" }, model_info: { id } }))).error.message).toContain(`duplicate id '${id}'`);
  });

  it("is the master key's only: a virtual key gets 403, no key 401", async () => {
    const gw = await testGateway(config(), { LITELLM_SALT_KEY: SALT });
    const { key } = await newKey(gw);
    for (const [path, body] of [
      ["/model/new", upstreamModel("nope")],
      ["/model/update", { model_info: { id: "x" } }],
      ["/model/delete", { id: "x" }],
    ] as const) {
      expect((await gw.post(path, body, key)).status, path).toBe(403);
      expect((await gw.post(path, body, null)).status, path).toBe(401);
    }
    expect((await gw.fetch("/model/x/update", { method: "PATCH", json: {}, key })).status).toBe(403);
  });

  it("updates (given fields replace, the rest and the sealed credentials are kept) and deletes", async () => {
    const gw = await testGateway(config(), { LITELLM_SALT_KEY: SALT });
    const name = `edit-${uid()}`;
    const { model_id } = await json(await gw.post("/model/new", upstreamModel(name)));
    const updated = await gw.post("/model/update", { model_name: `${name}-renamed`, litellm_params: { rpm: 60, api_key: null }, model_info: { id: model_id, max_input_tokens: 1000 } });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({ model_id, model_name: `${name}-renamed`, litellm_params: { rpm: 60, model: "openai/gpt-4o" }, model_info: { max_input_tokens: 1000, mode: "chat" } });
    expect((await chat(gw, name)).status).toBe(400);
    const marker = `marker-${uid()}`;
    expect((await chat(gw, `${name}-renamed`, marker)).status).toBe(200);
    expect((await upstreamRequests(marker))[0].headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);

    // LiteLLM's PATCH form; a new credential replaces the old one.
    const patched = await gw.fetch(`/model/${model_id}/update`, { method: "PATCH", json: { litellm_params: { api_key: "sk-rotated-key-000" } } });
    expect(patched.status).toBe(200);
    expect(await patched.text()).not.toContain("sk-rotated-key-000");
    const marker2 = `marker-${uid()}`;
    await chat(gw, `${name}-renamed`, marker2);
    expect((await upstreamRequests(marker2))[0].headers.authorization).toBe("Bearer sk-rotated-key-000");
    const badUpdate = await gw.post("/model/update", { litellm_params: { model: "nosuchprovider/x" }, model_info: { id: model_id } });
    expect((await json(badUpdate)).error.message).toMatch(/^Invalid model: litellm_params.model: unknown provider 'nosuchprovider'/);

    const deleted = await gw.post("/model/delete", { id: model_id });
    expect(await json(deleted)).toEqual({ message: `Model: ${model_id} deleted successfully` });
    expect((await chat(gw, `${name}-renamed`)).status).toBe(400);
    expect((await json(await gw.fetch("/model/info"))).data.map((d: any) => d.model_info.id)).not.toContain(model_id);
    expect((await json(await gw.post("/model/delete", { id: model_id }))).error.message).toBe(`Model with id=${model_id} not found in db`);
  });

  it("answers LiteLLM's errors for config models, unknown ids and a body without an id", async () => {
    const gw = await testGateway(config(), { LITELLM_SALT_KEY: SALT });
    const configId = (await json(await gw.fetch("/model/info"))).data[0].model_info.id;
    const edit = await gw.post("/model/update", { litellm_params: { rpm: 1 }, model_info: { id: configId } });
    expect(edit.status).toBe(400);
    expect((await json(edit)).error.message).toBe("Can't edit model. Model in config. Store model in db via `/model/new`. to edit.");
    expect((await json(await gw.post("/model/delete", { id: configId }))).error.message).toContain("it is a config.yaml model");
    expect((await gw.post("/model/update", { model_info: { id: "no-such-id" } })).status).toBe(404);
    expect((await json(await gw.post("/model/update", { litellm_params: {} }))).error.message).toBe("model_info not provided");
    expect((await json(await gw.post("/model/update", { model_info: {} }))).error.message).toBe("model_info.id not provided");
  });

  it("with store_model_in_db off answers as LiteLLM does and serves the config's models only", async () => {
    const gw = await testGateway(config(false), { LITELLM_SALT_KEY: SALT });
    const res = await gw.post("/model/new", upstreamModel("off"));
    expect(res.status).toBe(500);
    expect((await json(res)).error).toMatchObject({ type: "auth_error", message: expect.stringContaining("Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature.") });
    expect((await gw.post("/model/update", { model_info: { id: "x" } })).status).toBe(500);
    expect((await json(await gw.post("/model/delete", { id: "x" }))).error.message).toBe("Model with id=x not found in db");
    expect((await json(await gw.fetch("/model/info"))).data).toHaveLength(1);
    // LiteLLM's env var turns it on too.
    const byEnv = await testGateway({ ...config(false), general_settings: { master_key: MASTER_KEY } }, { LITELLM_SALT_KEY: SALT, STORE_MODEL_IN_DB: "True" });
    expect((await byEnv.post("/model/new", upstreamModel(`env-on-${uid()}`))).status).toBe(200);
  });

  it("another isolate serves an added, changed and deleted model within the refresh interval, without a redeploy", async () => {
    const cfg = config();
    const gw = await testGateway(cfg, { LITELLM_SALT_KEY: SALT });
    const other = await otherIsolate(gw, cfg);
    expect((await other.fetch("/v1/models")).status).toBe(200); // the other isolate has loaded what is stored
    const name = `shared-${uid()}`;
    const { model_id } = await json(await gw.post("/model/new", { model_name: name, litellm_params: { model: "openai/shared", mock_response: "first answer" } }));
    expect((await chat(gw, name)).status).toBe(200); // the isolate that added it: at once

    await sleep(STORED_MODELS_REFRESH_MS + 100);
    // A name it does not know makes the isolate ask D1 before answering "Invalid model".
    const first = await chat(other, name);
    expect(first.status).toBe(200);
    expect((await json(first)).choices[0].message.content).toBe("first answer");

    await gw.post("/model/update", { litellm_params: { mock_response: "second answer" }, model_info: { id: model_id } });
    expect((await json(await chat(other, name))).choices[0].message.content).toBe("first answer"); // within the interval: what it had
    await sleep(STORED_MODELS_REFRESH_MS + 100);
    // Past the interval a request makes the isolate check, in the background: the next ones see the change.
    await expect.poll(async () => (await json(await chat(other, name))).choices[0].message.content, { timeout: 1_000, interval: 50 }).toBe("second answer");

    await gw.post("/model/delete", { id: model_id });
    await sleep(STORED_MODELS_REFRESH_MS + 100);
    await expect.poll(async () => (await chat(other, name)).status, { timeout: 1_000, interval: 50 }).toBe(400);
  });

  it("a call in flight keeps the runtime it started with; the router and unchanged groups outlive a change", async () => {
    const cfg = config();
    const gw = await testGateway(cfg, { LITELLM_SALT_KEY: SALT });
    const live = new LiveRuntime(await compileConfig(cfg), gw.env);
    const before = await live.current();
    const name = `added-${uid()}`;
    const { model_id } = await json(await gw.post("/model/new", { model_name: name, litellm_params: { model: "openai/x", mock_response: "z" } }));
    const after = await live.newest(true);
    expect(after).not.toBe(before);
    expect(before.resolveModel(name)).toBeUndefined(); // a Runtime never changes
    expect(after.resolveModel(name)).toBeDefined();
    expect(after.isolate).toBe(before.isolate);
    expect(routerFor(after, gw.env)).toBe(routerFor(before, gw.env));
    expect(after.groups.get("from-config")).toBe(before.groups.get("from-config")); // its router table, cooldown reads and prices stay warm
    await gw.post("/model/delete", { id: model_id });

    // A slow upstream call, and its model deleted while it runs: the call ends as it started.
    const slow = `slowcall-${uid()}`;
    const { model_id: slowId } = await json(await gw.post("/model/new", { model_name: slow, litellm_params: { model: "openai/slow-400", api_base: `${MOCK_URL}/openai/v1`, api_key: UPSTREAM_SECRET } }));
    const inFlight = chat(gw, slow);
    await sleep(100);
    expect((await gw.post("/model/delete", { id: slowId })).status).toBe(200);
    expect((await chat(gw, slow)).status).toBe(400);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-id")).toBe(slowId);
  });
});
