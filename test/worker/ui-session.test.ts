// The admin UI's sessions inside workerd: sign-in, the signed cookie, CSRF, what a virtual key's
// session may read, the security headers, and the UI's data routes.
import { describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/token";
import { MASTER_KEY, testGateway, type TestGateway } from "./helpers";
import { chat, flushKey, json, newKey, pricedMock, testEnv, unique } from "./keys-helpers";

const config = () => ({
  model_list: [pricedMock("alpha"), pricedMock("beta"), { model_name: "upstream", litellm_params: { model: "openai/gpt-4o", api_key: "sk-literal-upstream-secret-123456", api_base: "http://127.0.0.1:9" } }],
});

interface Signed {
  cookie: string;
  csrf: string;
  body: Record<string, any>;
}

async function signIn(gw: TestGateway, credentials: Record<string, string>): Promise<Signed> {
  const res = await gw.fetch("/ui/api/login", { method: "POST", key: null, json: credentials });
  expect(res.status, await res.clone().text()).toBe(200);
  const setCookie = res.headers.get("set-cookie")!;
  const body = await res.json<Record<string, any>>();
  return { cookie: setCookie.split(";")[0], csrf: body.csrf_token, body };
}

/** A request with the session cookie (and the CSRF token when given), no API key. */
function asSession(gw: TestGateway, s: Pick<Signed, "cookie"> & { csrf?: string }, path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  headers.set("cookie", s.cookie);
  if (s.csrf) headers.set("x-csrf-token", s.csrf);
  return gw.fetch(path, { ...init, headers, key: null });
}

describe("admin UI sign-in", () => {
  it("signs the admin in with the master key: an HttpOnly, SameSite=Strict cookie that never holds the key", async () => {
    const gw = await testGateway(config());
    const res = await gw.fetch("/ui/api/login", { method: "POST", key: null, json: { key: MASTER_KEY } });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^litellm_ui_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(MASTER_KEY);
    expect(atob(setCookie.split("=")[1].split(".")[0].replaceAll("-", "+").replaceAll("_", "/"))).not.toContain(MASTER_KEY);
    const body = await res.json<Record<string, any>>();
    expect(body).toMatchObject({ role: "admin", user: "admin", csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(JSON.stringify(body)).not.toContain(MASTER_KEY);

    const s = { cookie: setCookie.split(";")[0], csrf: body.csrf_token };
    expect((await json(asSession(gw, s, "/ui/api/session"))).role).toBe("admin");
    expect((await asSession(gw, s, "/key/list")).status).toBe(200);
  });

  it("takes LiteLLM's UI_USERNAME / UI_PASSWORD, else 'admin' and the master key; anything else is a 401", async () => {
    const withUser = await testGateway(config(), { UI_USERNAME: "lead", UI_PASSWORD: "correct horse battery" });
    expect((await signIn(withUser, { username: "lead", password: "correct horse battery" })).body).toMatchObject({ role: "admin", user: "lead" });
    for (const wrong of [{ username: "lead", password: "nope" }, { username: "admin", password: MASTER_KEY }]) {
      const res = await withUser.fetch("/ui/api/login", { method: "POST", key: null, json: wrong });
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const plain = await testGateway(config());
    expect((await signIn(plain, { username: "admin", password: MASTER_KEY })).body.role).toBe("admin");
    expect((await plain.fetch("/ui/api/login", { method: "POST", key: null, json: { key: "not-a-key" } })).status).toBe(401);
  });

  it("refuses a sign-in posted from another site", async () => {
    const gw = await testGateway(config());
    for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }] as Record<string, string>[]) {
      const res = await gw.fetch("/ui/api/login", { method: "POST", key: null, headers, json: { key: MASTER_KEY } });
      expect(res.status).toBe(403);
    }
  });
});

describe("admin UI session cookie", () => {
  it("refuses a tampered, forged or expired cookie", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { key_alias: unique("ui") });
    const s = await signIn(gw, { key });
    expect(s.body.role).toBe("key");
    const [name, value] = s.cookie.split("=");
    const [payload, signature] = value.split(".");
    // The same signature on a payload promoted to admin.
    const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    const promoted = btoa(JSON.stringify({ ...claims, role: "admin", token: undefined })).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const expired = btoa(JSON.stringify({ ...claims, exp: 1 })).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (const bad of [`${promoted}.${signature}`, `${expired}.${signature}`, `${payload}.${signature.slice(0, -2)}AA`, payload, "garbage"]) {
      const res = await asSession(gw, { cookie: `${name}=${bad}` }, "/key/list");
      expect(res.status, bad).toBe(401);
      expect((await json(res)).error.message).toContain("UI session is invalid or has expired");
    }
    // A cookie signed for another gateway (another master key, no salt) is refused too.
    const other = await testGateway(config(), { LITELLM_SALT_KEY: "another-secret-salt" });
    expect((await asSession(other, s, "/ui/api/session")).status).toBe(401);
  });

  it("needs the session's CSRF token for every change, not for reads", async () => {
    const gw = await testGateway(config());
    const admin = await signIn(gw, { key: MASTER_KEY });
    const other = await signIn(gw, { key: MASTER_KEY });
    const create = (csrf?: string) => asSession(gw, { cookie: admin.cookie, csrf }, "/key/generate", { method: "POST", json: { key_alias: unique("csrf") } });
    for (const csrf of [undefined, "x".repeat(43), other.csrf]) {
      const res = await create(csrf);
      expect(res.status).toBe(403);
      expect((await json(res)).error.message).toContain("CSRF token");
    }
    expect((await create(admin.csrf)).status).toBe(200);
    expect((await asSession(gw, { cookie: admin.cookie }, "/key/list")).status).toBe(200);
    // LLM calls from the Playground are changes too.
    const body = { model: "alpha", messages: [{ role: "user", content: "hi" }] };
    expect((await asSession(gw, { cookie: admin.cookie }, "/chat/completions", { method: "POST", json: body })).status).toBe(403);
    expect((await asSession(gw, admin, "/chat/completions", { method: "POST", json: body })).status).toBe(200);
    // Signing out is a change as well; afterwards the browser has no cookie.
    expect((await asSession(gw, { cookie: admin.cookie }, "/ui/api/logout", { method: "POST" })).status).toBe(403);
    const out = await asSession(gw, admin, "/ui/api/logout", { method: "POST" });
    expect(out.headers.get("set-cookie")).toMatch(/^litellm_ui_session=; Max-Age=0;/);
  });

  it("a virtual key's session reads only that key's info, activity and logs", async () => {
    const gw = await testGateway(config());
    const mine = await newKey(gw, { key_alias: unique("mine"), max_budget: 10 });
    const theirs = await newKey(gw, { key_alias: unique("theirs") });
    for (const k of [mine, theirs]) expect((await chat(gw, k.key, "alpha")).status).toBe(200);
    await flushKey(mine.token);
    await flushKey(theirs.token);
    const s = await signIn(gw, { key: mine.key });
    expect(s.body.key).toMatchObject({ token: mine.token, key_alias: mine.key_alias });

    expect((await json(asSession(gw, s, "/key/info"))).key).toBe(mine.token);
    for (const path of [`/key/info?key=${theirs.token}`, `/spend/logs/ui?api_key=${theirs.token}`, `/spend/logs/ui?key_alias=${theirs.key_alias}`, `/user/daily/activity?api_key=${theirs.key}`]) {
      expect((await asSession(gw, s, path)).status, path).toBe(403);
    }
    for (const path of ["/key/list", "/spend/logs", "/team/daily/activity", "/ui/api/config", "/team/list"]) {
      expect((await asSession(gw, s, path)).status, path).toBe(403);
    }
    const logs = await json(asSession(gw, s, "/spend/logs/ui"));
    expect(logs.total).toBeGreaterThanOrEqual(1);
    expect(new Set(logs.data.map((r: { api_key: string }) => r.api_key))).toEqual(new Set([mine.token]));
    const activity = await json(asSession(gw, s, "/user/daily/activity"));
    const keysSeen = new Set(activity.results.flatMap((d: any) => Object.keys(d.breakdown.api_keys)));
    expect(keysSeen).toEqual(new Set([mine.token]));
    expect(activity.metadata.total_api_requests).toBe(1);
    // A key's session may not create keys even with its CSRF token.
    expect((await asSession(gw, s, "/key/generate", { method: "POST", json: {} })).status).toBe(403);
  });

  it("a blocked key's session stops working", async () => {
    const gw = await testGateway(config());
    const k = await newKey(gw, { key_alias: unique("blocked") });
    const s = await signIn(gw, { key: k.key });
    expect((await asSession(gw, s, "/ui/api/session")).status).toBe(200);
    expect((await gw.post("/key/block", { key: k.token })).status).toBe(200);
    // Signing in again is refused at once; an LLM call too (its guard answers every call), after which
    // this isolate's key cache has dropped the key and the session's reads are refused as well.
    expect((await gw.fetch("/ui/api/login", { method: "POST", key: null, json: { key: k.key } })).status).toBe(401);
    expect((await asSession(gw, s, "/chat/completions", { method: "POST", json: { model: "alpha", messages: [{ role: "user", content: "hi" }] } })).status).toBe(401);
    expect((await asSession(gw, s, "/ui/api/session")).status).toBe(401);
  });

  it("an API key header wins over the cookie", async () => {
    const gw = await testGateway(config());
    const k = await newKey(gw);
    const admin = await signIn(gw, { key: MASTER_KEY });
    const res = await gw.fetch("/key/list", { key: k.key, headers: { cookie: admin.cookie } });
    expect(res.status).toBe(403);
  });
});

describe("admin UI headers and data routes", () => {
  it("answers the UI's API with a strict Content-Security-Policy, never cached", async () => {
    // The /ui/ page itself is a static asset with the same policy (_headers, checked against npm start in
    // test/node/ui-browser.test.ts): the vitest pool calls the Worker directly, without the asset layer.
    const gw = await testGateway(config());
    const res = await gw.fetch("/ui/api/login", { method: "POST", key: null, json: { key: MASTER_KEY } });
    const csp = res.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("shows the running config with every secret masked", async () => {
    const gw = await testGateway({ ...config(), environment_variables: { SOME_TOKEN: "plain-default-value" }, general_settings: { master_key: MASTER_KEY, store_prompts_in_spend_logs: true } });
    const { config: shown } = await json(gw.fetch("/ui/api/config"));
    const text = JSON.stringify(shown);
    for (const secret of [MASTER_KEY, "sk-literal-upstream-secret-123456", "plain-default-value"]) expect(text).not.toContain(secret);
    expect(shown.general_settings.store_prompts_in_spend_logs).toBe(true);
    expect(shown.model_list[0].litellm_params.input_cost_per_token).toBeGreaterThan(0);
  });

  it("lists deployments with provider, price, limits and cooldown, and activity by model, provider, key and team", async () => {
    const upstreamId = unique("upstream");
    const gw = await testGateway({ model_list: config().model_list.map((m) => (m.model_name === "upstream" ? { ...m, model_info: { id: upstreamId } } : m)) });
    // A cooldown another isolate started (in KV) shows with its reason and end: this isolate reads
    // KV for a group at most every 2 s, as the router does.
    const until = Date.now() + 60_000;
    await testEnv.KV.put(`router:cooldown:${upstreamId}`, JSON.stringify({ until, status: 429, reason: "429 rate_limit" }), { expirationTtl: 120 });
    const models = await json(gw.fetch("/ui/api/models"));
    const alpha = models.data.find((d: any) => d.model_name === "alpha");
    expect(alpha).toMatchObject({ provider: "mock", price: { source: "config" }, cooldown: null });
    const upstream = models.data.find((d: any) => d.model_name === "upstream");
    expect(upstream).toMatchObject({ provider: "openai", price: { source: "price table" } });
    expect(JSON.stringify(models)).not.toContain("sk-literal-upstream-secret");
    expect(upstream.cooldown).toEqual({ until: new Date(until).toISOString(), status: 429, reason: "429 rate_limit" });

    const team = await json(gw.post("/team/new", { team_alias: unique("team") }));
    const k = await newKey(gw, { key_alias: unique("activity"), team_id: team.team_id });
    expect((await chat(gw, k.key, "beta")).status).toBe(200);
    await flushKey(k.token, { team: team.team_id });
    const today = new Date().toISOString().slice(0, 10);
    const activity = await json(gw.fetch(`/team/daily/activity?start_date=${today}&end_date=${today}&api_key=${k.token}`));
    expect(activity.results).toHaveLength(1);
    const day = activity.results[0];
    expect(day.metrics).toMatchObject({ api_requests: 1, successful_requests: 1 });
    expect(day.metrics.spend).toBeGreaterThan(0);
    expect(Object.keys(day.breakdown.models)).toEqual(["beta"]);
    expect(Object.keys(day.breakdown.providers)).toEqual(["mock"]);
    expect(day.breakdown.api_keys[k.token].metadata.key_alias).toBe(k.key_alias);
    expect(day.breakdown.entities[team.team_id].metadata.team_alias).toBe(team.team_alias);
    expect((await gw.fetch("/team/daily/activity?start_date=2025-02-01&end_date=2025-01-01")).status).toBe(400);
  });

  it("pages the request log with filters by key, model and status", async () => {
    const gw = await testGateway(config());
    const k = await newKey(gw, { key_alias: unique("logs") });
    for (const model of ["alpha", "alpha", "beta"]) expect((await chat(gw, k.key, model)).status).toBe(200);
    await flushKey(k.token);
    const page1 = await json(gw.fetch(`/spend/logs/ui?key_alias=${k.key_alias}&page_size=2`));
    expect(page1).toMatchObject({ total: 3, page: 1, page_size: 2, total_pages: 2 });
    expect(page1.data).toHaveLength(2);
    const betas = await json(gw.fetch(`/spend/logs/ui?api_key=${k.key}&model=beta`));
    expect(betas.total).toBe(1);
    expect((await json(gw.fetch(`/spend/logs/ui?api_key=${k.token}&status_filter=failure`))).total).toBe(0);
    expect(betas.data[0].api_key).toBe(await hashKey(k.key));
  });
});
