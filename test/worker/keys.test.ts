import { runInDurableObject } from "cloudflare:test";
import { getTableColumns, getTableName, is } from "drizzle-orm";
import { SQLiteTable, getTableConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as schema from "../../src/schema/db";
import { guardName } from "../../src/core/guard-rpc";
import { hashKey } from "../../src/keys/token";
import { MASTER_KEY, openaiModel, testGateway } from "./helpers";
import { advanceGuardClock, chat, json, keyGuard, newKey, pricedMock, testEnv, unique } from "./keys-helpers";

const config = () => ({
  model_list: [
    pricedMock("alpha"),
    pricedMock("beta"),
    { ...pricedMock("gamma"), model_info: { access_groups: ["beta-testers"] } },
  ],
});

describe("virtual key lifecycle through the HTTP API", () => {
  it("generates an sk- key with 128+ random bits, shown once, stored only as its SHA-256", async () => {
    const gw = await testGateway(config());
    const alias = unique("alias");
    const created = await newKey(gw, { key_alias: alias, models: ["alpha"], max_budget: 5, metadata: { owner: "ci" }, tags: ["agents"] });
    expect(created.key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/); // 24 random bytes = 192 bits
    expect(created.token).toBe(await hashKey(created.key));
    expect(created.token_id).toBe(created.token);
    expect(created.key_name).toBe(`sk-...${created.key.slice(-4)}`);
    expect(created).toMatchObject({ key_alias: alias, models: ["alpha"], max_budget: 5, spend: 0, metadata: { owner: "ci" }, tags: ["agents"], blocked: false, expires: null });

    const row = await testEnv.DB.prepare("SELECT * FROM keys WHERE token = ?").bind(created.token).first();
    expect(JSON.stringify(row)).not.toContain(created.key);

    const info = await json(gw.fetch(`/key/info?key=${created.key}`));
    expect(info.key).toBe(created.token);
    expect(JSON.stringify(info)).not.toContain(created.key);
    expect(info.info).toMatchObject({ key_alias: alias, max_budget: 5, spend: 0 });
    // Two generated keys never collide.
    expect((await newKey(gw)).key).not.toBe(created.key);
  });

  it("authenticates with the key in every header LiteLLM accepts; unknown sk- keys get 401", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw);
    const body = JSON.stringify({ model: "alpha", messages: [{ role: "user", content: "hi" }] });
    for (const header of ["authorization", "x-api-key", "api-key", "x-litellm-api-key"]) {
      const res = await gw.fetch("/v1/chat/completions", { method: "POST", key: null, headers: { [header]: header === "authorization" ? `Bearer ${key}` : key, "content-type": "application/json" }, body });
      expect(res.status, header).toBe(200);
    }
    const unknown = await chat(gw, "sk-" + "x".repeat(40), "alpha");
    expect(unknown.status).toBe(401);
    expect((await json(unknown)).error).toMatchObject({ type: "auth_error", code: "401", message: expect.stringContaining("Invalid proxy server token") });
  });

  it("enforces model allow-lists with LiteLLM's 403, including access groups, and filters /v1/models", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { models: ["alpha", "beta-testers"] });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect((await chat(gw, key, "gamma")).status).toBe(200); // via access group
    const denied = await chat(gw, key, "beta");
    expect(denied.status).toBe(403);
    expect((await json(denied)).error).toEqual({
      message: 'key not allowed to access model. This key can only access models=["alpha","beta-testers"]. Tried to access beta',
      type: "key_model_access_denied",
      param: "model",
      code: "403",
    });
    const models = await json(gw.fetch("/v1/models", { key }));
    expect(models.data.map((m: { id: string }) => m.id).sort()).toEqual(["alpha", "gamma"]);
  });

  it("applies /key/update on the very next request, even with the key cached in the isolate", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { models: ["alpha", "beta"] });
    expect((await chat(gw, key, "beta")).status).toBe(200);
    const updated = await json(gw.post("/key/update", { key, models: ["alpha"], rpm_limit: 100 }));
    expect(updated).toMatchObject({ models: ["alpha"], rpm_limit: 100 });
    expect((await chat(gw, key, "beta")).status).toBe(403);
    const ok = await chat(gw, key, "alpha");
    expect(ok.headers.get("x-ratelimit-limit-requests")).toBe("100");
  });

  it("blocks and unblocks", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect(await json(gw.post("/key/block", { key }))).toMatchObject({ blocked: true });
    const blocked = await chat(gw, key, "alpha");
    expect(blocked.status).toBe(401);
    expect((await json(blocked)).error.message).toContain("blocked");
    expect(await json(gw.post("/key/unblock", { key }))).toMatchObject({ blocked: false });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
  });

  it("expires keys after `duration` (guard clock moved forward)", async () => {
    const gw = await testGateway(config());
    const { key, token, expires } = await newKey(gw, { duration: "30s" });
    expect(Date.parse(expires as string) - Date.now()).toBeGreaterThan(25_000);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    await advanceGuardClock(token, 31_000);
    const expired = await chat(gw, key, "alpha");
    expect(expired.status).toBe(401);
    expect((await json(expired)).error).toMatchObject({ type: "expired_key", message: expect.stringContaining("Expired Key") });
  });

  it("deletes by key and by alias; deleted keys stop working at once", async () => {
    const gw = await testGateway(config());
    const a = await newKey(gw);
    const alias = unique("del");
    const b = await newKey(gw, { key_alias: alias });
    expect((await chat(gw, a.key, "alpha")).status).toBe(200);
    expect((await chat(gw, b.key, "alpha")).status).toBe(200);
    const deleted = await json(gw.post("/key/delete", { keys: [a.key], key_aliases: [alias] }));
    expect(deleted.deleted_keys).toEqual([a.key_name, alias]);
    expect((await chat(gw, a.key, "alpha")).status).toBe(401);
    expect((await chat(gw, b.key, "alpha")).status).toBe(401);
    expect((await gw.post("/key/delete", { keys: [a.token] })).status).toBe(404);
  });

  it("regenerates: new key works with the old settings and spend, old key stops", async () => {
    const gw = await testGateway(config());
    const old = await newKey(gw, { max_budget: 1, models: ["alpha"] });
    expect((await chat(gw, old.key, "alpha")).status).toBe(200);
    const fresh = await json(gw.post(`/key/${old.key}/regenerate`, {}));
    expect(fresh.key).toMatch(/^sk-/);
    expect(fresh.key).not.toBe(old.key);
    expect(fresh).toMatchObject({ max_budget: 1, models: ["alpha"] });
    expect(fresh.spend).toBeGreaterThan(0);
    expect((await chat(gw, old.key, "alpha")).status).toBe(401);
    expect((await chat(gw, fresh.key, "alpha")).status).toBe(200);
  });

  it("lists keys page by page, filtered", async () => {
    const gw = await testGateway(config());
    const user = unique("lister");
    for (let i = 0; i < 5; i++) await newKey(gw, { user_id: user });
    const page1 = await json(gw.fetch(`/key/list?user_id=${user}&page=1&size=2`));
    expect(page1).toMatchObject({ total_count: 5, current_page: 1, total_pages: 3 });
    expect(page1.keys).toHaveLength(2);
    expect(page1.keys[0]).toMatch(/^[0-9a-f]{64}$/);
    const page3 = await json(gw.fetch(`/key/list?user_id=${user}&page=3&size=2&return_full_object=true`));
    expect(page3.keys).toHaveLength(1);
    expect(page3.keys[0]).toMatchObject({ user_id: user });
  });

  it("lets a key read its own info and nothing else", async () => {
    const gw = await testGateway(config());
    const mine = await newKey(gw, { key_alias: unique("me") });
    const other = await newKey(gw);
    const own = await json(gw.fetch("/key/info", { key: mine.key }));
    expect(own.info.key_alias).toBe(mine.key_alias);
    expect((await gw.fetch(`/key/info?key=${other.token}`, { key: mine.key })).status).toBe(403);
  });

  it("refuses admin routes to virtual keys (403) and to callers without a key (401)", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw);
    for (const [method, path] of [["POST", "/key/generate"], ["GET", "/key/list"], ["POST", "/team/new"], ["GET", "/spend/logs"], ["GET", "/global/spend/report"]] as const) {
      const asKey = await gw.fetch(path, { method, key, json: method === "POST" ? {} : undefined });
      expect(asKey.status, `${path} with a virtual key`).toBe(403);
      const anonymous = await gw.fetch(path, { method, key: null, json: method === "POST" ? {} : undefined });
      expect(anonymous.status, `${path} without a key`).toBe(401);
    }
  });

  it("validates every body with clear 400s in OpenAI's error shape", async () => {
    const gw = await testGateway(config());
    const cases: [unknown, RegExp][] = [
      [{ max_budget: -1 }, /max_budget/],
      [{ budget_duration: "fortnightly" }, /budget_duration: expected a duration like 30s/],
      [{ duration: "2mo" }, /monthly durations support 1mo only/],
      [{ rpm_limit: 1.5 }, /rpm_limit/],
      [{ key: "sk-short" }, /custom key must be 'sk-'/],
      [{ max_buget: 5 }, /max_buget/],
      [{ team_id: unique("no-such-team") }, /does not exist/],
    ];
    for (const [input, message] of cases) {
      const res = await gw.post("/key/generate", input);
      expect(res.status, JSON.stringify(input)).toBe(400);
      const { error } = await json(res);
      expect(error.message).toMatch(message);
      expect(error.code).toBe("400");
    }
    const notJson = await gw.fetch("/key/generate", { method: "POST", body: "{nope", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect((await gw.post("/key/update", { key: "sk-" + "n".repeat(30), max_budget: 1 })).status).toBe(404);
    const alias = unique("dup");
    await newKey(gw, { key_alias: alias });
    const dup = await gw.post("/key/generate", { key_alias: alias });
    expect(dup.status).toBe(400);
    expect((await json(dup)).error.message).toContain("key_alias already exists");
  });

  it("accepts a custom key and applies the config's default and upper-bound key params", async () => {
    const gw = await testGateway({
      ...config(),
      litellm_settings: { default_key_generate_params: { max_budget: 2, models: ["alpha"] }, upperbound_key_generate_params: { max_budget: 10, rpm_limit: 50, duration: "30d" } },
    });
    const custom = `sk-custom-${crypto.randomUUID()}`;
    const created = await newKey(gw, { key: custom });
    expect(created.key).toBe(custom);
    expect(created).toMatchObject({ max_budget: 2, models: ["alpha"], rpm_limit: 50 });
    expect(Date.parse(created.expires as string)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect((await chat(gw, custom, "alpha")).status).toBe(200);
    const over = await gw.post("/key/generate", { max_budget: 11 });
    expect(over.status).toBe(400);
    expect((await json(over)).error.message).toBe("max_budget is over max limit set in config - user_value=11; max_value=10");
    expect((await gw.post("/key/generate", { duration: "31d" })).status).toBe(400);
  });

  it("never shows the master key, virtual keys or provider keys in responses or logs", async () => {
    const logged: string[] = [];
    const original = { log: console.log, warn: console.warn, error: console.error, info: console.info };
    for (const level of ["log", "warn", "error", "info"] as const) console[level] = (...args: unknown[]) => logged.push(args.map(String).join(" "));
    try {
      const upstreamKey = "sk-upstream-provider-secret-123456";
      const gw = await testGateway({ model_list: [pricedMock("alpha", { api_key: upstreamKey }), { model_name: "broken", litellm_params: { model: "openai/error-401", api_base: "http://127.0.0.1:9/v1", api_key: upstreamKey } }] });
      const created = await newKey(gw, { key_alias: unique("secret") });
      const seen: string[] = [];
      const record = async (res: Response) => {
        seen.push(JSON.stringify([...res.headers]), await res.text());
      };
      await record(await chat(gw, created.key, "alpha"));
      await record(await chat(gw, created.key, "broken"));
      await record(await chat(gw, created.key, "nope"));
      await record(await chat(gw, created.key + "x", "alpha"));
      await record(await gw.fetch(`/key/info?key=${created.key}`));
      await record(await gw.fetch("/key/list?return_full_object=true"));
      await record(await gw.post("/key/update", { key: created.key, max_budget: 3 }));
      await record(await gw.post("/key/block", { key: created.key }));
      await record(await chat(gw, created.key, "alpha"));
      await record(await gw.fetch(`/spend/logs?api_key=${created.key}`));
      await record(await gw.fetch("/model/info"));
      await record(await gw.post("/key/delete", { keys: [created.key] }));
      const everything = seen.join("\n") + logged.join("\n");
      for (const secret of [created.key, MASTER_KEY, upstreamKey]) expect(everything).not.toContain(secret);
    } finally {
      Object.assign(console, original);
    }
  });

  it("checks an uncached key in the same guard round trip as the call, and still answers bad keys with 401 first", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { models: ["alpha"] });
    // Not cached in this isolate yet: the guard's answer carries the model list.
    const denied = await chat(gw, key, "beta");
    expect(denied.status).toBe(403);
    expect((await json(denied)).error.type).toBe("key_model_access_denied");
    // A bad body with a valid key is a 400; with an unknown key, a 401.
    const fresh = await newKey(gw);
    expect((await gw.post("/v1/chat/completions", { model: "alpha", messages: [] }, fresh.key)).status).toBe(400);
    const unknown = "sk-" + "u".repeat(40);
    expect((await gw.post("/v1/chat/completions", { model: "alpha", messages: [] }, unknown)).status).toBe(401);
    expect((await gw.post("/v1/chat/completions", { model: "no-such-model", messages: [{ role: "user", content: "hi" }] }, unknown)).status).toBe(401);
    // Guessing keys leaves nothing behind in storage.
    const stub = testEnv.KEY_GUARD.get(testEnv.KEY_GUARD.idFromName(guardName({ kind: "key", token: await hashKey(unknown) })));
    const tables = await runInDurableObject(stub, (_, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'meta'").toArray());
    expect(tables).toEqual([]);
  });
});

describe("virtual keys and the router", () => {
  const routed = () => ({
    model_list: [openaiModel("flaky", "error-500"), pricedMock("backup")],
    router_settings: { fallbacks: [{ flaky: ["backup"] }], num_retries: 0 },
  });

  it("a key's metadata.disable_fallbacks turns fallbacks off", async () => {
    const gw = await testGateway(routed());
    const plain = await newKey(gw);
    expect((await chat(gw, plain.key, "flaky")).status).toBe(200);
    const noFallbacks = await newKey(gw, { metadata: { disable_fallbacks: true } });
    expect((await chat(gw, noFallbacks.key, "flaky")).status).toBe(500);
  });

  it("a request's own fallbacks stay within the key's models, even on the key's first call", async () => {
    const gw = await testGateway(routed());
    const { key } = await newKey(gw, { models: ["flaky"] });
    const res = await chat(gw, key, "flaky", { fallbacks: ["backup"] });
    expect(res.status).toBe(500);
    expect(res.headers.get("x-litellm-model-group")).not.toBe("backup");
  });
});

describe("D1 schema", () => {
  it("matches src/schema/db.ts after the migrations in migrations/", async () => {
    const tables = (Object.values(schema) as unknown[]).filter((t): t is SQLiteTable => is(t, SQLiteTable));
    expect(tables.length).toBe(12);
    for (const table of tables) {
      const { results } = await testEnv.DB.prepare(`PRAGMA table_info(${getTableName(table)})`).all<{ name: string; notnull: number; pk: number }>();
      const actual = Object.fromEntries(results.map((c) => [c.name, { notNull: c.notnull === 1 || c.pk > 0, pk: c.pk > 0 }]));
      const config = getTableConfig(table);
      const pkColumns = new Set([...Object.values(getTableColumns(table)).filter((c) => c.primary).map((c) => c.name), ...config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name))]);
      const expected = Object.fromEntries(Object.values(getTableColumns(table)).map((c) => [c.name, { notNull: c.notNull || pkColumns.has(c.name), pk: pkColumns.has(c.name) }]));
      expect(actual, getTableName(table)).toEqual(expected);
    }
  });
});

