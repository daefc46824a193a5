// `npm run deploy` end to end against a mock of the Cloudflare API (test/mocks/cloudflare-api.ts): what
// wrangler sends is checked on the mock's side: resources made once and reused, D1 migrated before the
// upload, bindings, Durable Object migrations and secrets in the upload, refusals that upload nothing.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parse as parseToml } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCloudflareMock, type CloudflareMock, type RecordedRequest } from "../mocks/cloudflare-api";
import { ROOT } from "./start";

const MASTER = "sk-deploy-test-master-6c1f0e9a";
const UPSTREAM = "sk-upstream-secret-3b7d52aa";
const CONFIG = `
model_list:
  - model_name: demo
    litellm_params: { model: openai/demo, mock_response: "hi" }
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: os.environ/DEPLOY_TEST_OPENAI_KEY }
  - model_name: llama-edge
    litellm_params: { model: workers_ai/@cf/meta/llama-3.1-8b-instruct }
  - model_name: llama-private
    litellm_params: { model: ollama_chat/llama3.2, api_base: "http://localhost:11434", vpc_binding: OLLAMA }
general_settings:
  master_key: os.environ/DEPLOY_TEST_MASTER_KEY
`;
const BAD_CONFIG = "model_list:\n  - model_name: x\n    litellm_params:\n      model: openai/x\n      rpm: -3\n";

let mock: CloudflareMock;
let dir: string;
const wranglerToml = parseToml(readFileSync(resolve(ROOT, "wrangler.toml"), "utf8")) as {
  name: string;
  migrations: { tag: string }[];
  durable_objects: { bindings: { name: string; class_name: string }[] };
};

beforeAll(async () => {
  mock = await startCloudflareMock();
  mock.vpc.set("5e1c0a4e-0b1d-4c55-9d1e-0a4b7c9d2e11", "ollama");
  dir = mkdtempSync(join(tmpdir(), "gw-deploy-"));
  writeFileSync(join(dir, "config.yaml"), CONFIG);
  writeFileSync(join(dir, "bad.yaml"), BAD_CONFIG);
});
afterAll(() => mock?.close());

async function deploy(args: string[], secrets: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ["DEPLOY_TEST_MASTER_KEY", "DEPLOY_TEST_OPENAI_KEY", "LITELLM_MASTER_KEY", "GATEWAY_CONFIG"]) delete env[name];
  Object.assign(env, {
    CLOUDFLARE_API_BASE_URL: mock.url,
    CLOUDFLARE_API_TOKEN: "test-token",
    CLOUDFLARE_ACCOUNT_ID: mock.accountId,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_LOG_PATH: join(dir, "wrangler-logs"),
    ...secrets,
  });
  const child = spawn("npm", ["run", "deploy", "--", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number>((r) => child.on("close", (c) => r(c ?? 1)));
  return { code, output };
}

const writes = (from = 0) => mock.requests.slice(from).filter((r) => r.method !== "GET");
const requestsTo = (method: string, path: RegExp, list: RecordedRequest[] = mock.requests) => list.filter((r) => r.method === method && path.test(r.path));

describe("npm run deploy against a mock Cloudflare API", () => {
  it("refuses a bad config before calling Cloudflare", async () => {
    const run = await deploy(["--config", join(dir, "bad.yaml")]);
    expect(run.code).toBe(1);
    expect(run.output).toContain("model_list[0].litellm_params.rpm");
    expect(mock.requests).toEqual([]);
  });

  it("refuses without a master key, and with a referenced secret missing: nothing uploaded", async () => {
    const noMaster = await deploy(["--config", join(dir, "config.yaml"), "--secrets"], { DEPLOY_TEST_OPENAI_KEY: UPSTREAM });
    expect(noMaster.code).toBe(1);
    expect(noMaster.output).toMatch(/NOT DEPLOYED: no master key\. DEPLOY_TEST_MASTER_KEY .* accept every request from the internet/);

    const noUpstream = await deploy(["--config", join(dir, "config.yaml"), "--secrets"], { DEPLOY_TEST_MASTER_KEY: MASTER });
    expect(noUpstream.code).toBe(1);
    expect(noUpstream.output).toContain("the config names os.environ/DEPLOY_TEST_OPENAI_KEY, which is neither a secret of the Worker llm-gateway");

    const notAgreed = await deploy(["--config", join(dir, "config.yaml")], { DEPLOY_TEST_MASTER_KEY: MASTER, DEPLOY_TEST_OPENAI_KEY: UPSTREAM });
    expect(notAgreed.code).toBe(1);
    expect(notAgreed.output).toContain("lacks these secrets: DEPLOY_TEST_MASTER_KEY, DEPLOY_TEST_OPENAI_KEY");
    expect(notAgreed.output).toContain("npm run deploy -- --secrets");

    expect(writes()).toEqual([]); // only reads: no resource made, nothing uploaded
    expect(mock.unknown).toEqual([]);
    for (const run of [noMaster, noUpstream, notAgreed]) expect(run.output).not.toMatch(new RegExp(`${MASTER}|${UPSTREAM}`));
  });

  it("first deploy: makes D1 and KV, migrates D1 before the upload, uploads bindings, DO migrations and secrets", async () => {
    const before = mock.requests.length;
    const run = await deploy(["--config", join(dir, "config.yaml"), "--secrets"], { DEPLOY_TEST_MASTER_KEY: MASTER, DEPLOY_TEST_OPENAI_KEY: UPSTREAM });
    expect(run.code, run.output).toBe(0);
    expect(mock.unknown, "requests the mock does not know").toEqual([]);
    const sent = mock.requests.slice(before);

    // Resources: one D1 and one KV, named as wrangler names what it provisions.
    expect(requestsTo("POST", /\/d1\/database$/, sent).map((r) => JSON.parse(r.text).name)).toEqual([`${wranglerToml.name}-db`]);
    expect(requestsTo("POST", /\/storage\/kv\/namespaces$/, sent).map((r) => JSON.parse(r.text).title)).toEqual([`${wranglerToml.name}-kv`]);
    const [[dbId, db]] = [...mock.d1];
    const [[kvId]] = [...mock.kv];

    // D1 migrations ran remotely (really: the mock's D1 is SQLite), before the script upload.
    const applied = db.db.prepare("SELECT name FROM d1_migrations").all().map((r) => r.name);
    expect(applied).toEqual(readdirSync(resolve(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort());
    expect(db.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'keys'").all()).toHaveLength(1);
    const upload = sent.findIndex((r) => r.method === "PUT" && /\/workers\/scripts\/[^/]+$/.test(r.path));
    const lastQuery = sent.findLastIndex((r) => r.path.endsWith(`/d1/database/${dbId}/query`));
    expect(lastQuery).toBeGreaterThan(-1);
    expect(upload).toBeGreaterThan(lastQuery);

    // The upload: bindings, every Durable Object migration, the secrets.
    const { metadata } = mock.uploads.at(-1)!;
    const byName = Object.fromEntries(metadata.bindings.map((b) => [b.name, b]));
    expect(byName.DB).toMatchObject({ type: "d1", id: dbId });
    expect(byName.KV).toMatchObject({ type: "kv_namespace", namespace_id: kvId });
    for (const d of wranglerToml.durable_objects.bindings) expect(byName[d.name]).toMatchObject({ type: "durable_object_namespace", class_name: d.class_name });
    expect(byName.AI).toMatchObject({ type: "ai" });
    expect(byName.OLLAMA).toMatchObject({ type: "vpc_service", service_id: "5e1c0a4e-0b1d-4c55-9d1e-0a4b7c9d2e11" });
    expect(byName.DEPLOY_TEST_MASTER_KEY).toMatchObject({ type: "secret_text", text: MASTER });
    expect(byName.DEPLOY_TEST_OPENAI_KEY).toMatchObject({ type: "secret_text", text: UPSTREAM });
    expect(metadata.migrations).toMatchObject({ new_tag: wranglerToml.migrations.at(-1)!.tag });
    expect(metadata.migrations!.steps).toHaveLength(wranglerToml.migrations.length);
    expect(metadata.migrations!.old_tag).toBeUndefined();

    // It ends with the URL and ready commands, and never shows a secret.
    expect(run.output).toContain(`deployed: https://${wranglerToml.name}.example-team.workers.dev`);
    expect(run.output).toContain(`curl https://${wranglerToml.name}.example-team.workers.dev/key/generate -H "Authorization: Bearer $DEPLOY_TEST_MASTER_KEY"`);
    expect(run.output).not.toMatch(new RegExp(`${MASTER}|${UPSTREAM}`));
    const logs = join(dir, "wrangler-logs");
    for (const f of readdirSync(logs)) expect(readFileSync(join(logs, f), "utf8")).not.toMatch(new RegExp(`${MASTER}|${UPSTREAM}`));
  });

  it("second deploy reuses D1 and KV, has no migration left to run, keeps the secrets", async () => {
    const before = mock.requests.length;
    const run = await deploy(["--config", join(dir, "config.yaml")]); // no secrets in the environment now
    expect(run.code, run.output).toBe(0);
    expect(mock.unknown).toEqual([]);
    const sent = mock.requests.slice(before);
    expect(requestsTo("POST", /\/d1\/database$/, sent)).toEqual([]);
    expect(requestsTo("POST", /\/storage\/kv\/namespaces$/, sent)).toEqual([]);
    expect(mock.d1.size).toBe(1);
    expect(mock.kv.size).toBe(1);
    expect(run.output).toContain("No migrations to apply");

    const { metadata, via } = mock.uploads.at(-1)!;
    expect(via).toBe("version"); // no Durable Object migration: wrangler uses the versions API
    expect(metadata.migrations).toBeUndefined();
    const byName = Object.fromEntries(metadata.bindings.map((b) => [b.name, b]));
    expect(byName.DB).toMatchObject({ type: "d1", id: [...mock.d1.keys()][0] });
    expect(byName.KV).toMatchObject({ type: "kv_namespace", namespace_id: [...mock.kv.keys()][0] });
    // The secrets stay on the Worker: every version must carry them (wrangler's `inherit`, checked by the API).
    expect(byName.DEPLOY_TEST_MASTER_KEY).toEqual({ name: "DEPLOY_TEST_MASTER_KEY", type: "inherit" });
    expect(byName.DEPLOY_TEST_OPENAI_KEY).toEqual({ name: "DEPLOY_TEST_OPENAI_KEY", type: "inherit" });
    expect(mock.workers.get(wranglerToml.name)!.deployments).toHaveLength(2);
  });

  it("--env staging deploys a second Worker with its own D1, KV and secrets", async () => {
    const run = await deploy(["--config", join(dir, "config.yaml"), "--env", "staging", "--secrets"], { DEPLOY_TEST_MASTER_KEY: MASTER, DEPLOY_TEST_OPENAI_KEY: UPSTREAM });
    expect(run.code, run.output).toBe(0);
    expect(mock.unknown).toEqual([]);
    const staging = `${wranglerToml.name}-staging`;
    expect([...mock.d1.values()].map((d) => d.name).sort()).toEqual([`${wranglerToml.name}-db`, `${staging}-db`]);
    expect([...mock.kv.values()].map((k) => k.title).sort()).toEqual([`${wranglerToml.name}-kv`, `${staging}-kv`]);
    const worker = mock.workers.get(staging)!;
    expect([...worker.secrets.keys()].sort()).toEqual(["DEPLOY_TEST_MASTER_KEY", "DEPLOY_TEST_OPENAI_KEY"]);
    expect(run.output).toContain(`deployed: https://${staging}.example-team.workers.dev`);
    expect(run.output).not.toMatch(new RegExp(`${MASTER}|${UPSTREAM}`));
  });

  it("an existing Worker keeps the D1 and KV it is bound to, whatever their names", async () => {
    // A Worker deployed before (say, by hand with the old wrangler.toml), bound to a D1 and a KV of other names.
    const name = `${wranglerToml.name}-canary`;
    const [dbId, kvId] = ["7d3c2e55-8a51-4a39-b1c3-0f6a5e2b9c10", "feedfacefeedfacefeedfacefeedface"];
    mock.d1.set(dbId, { name: "llm-gateway", db: new DatabaseSync(":memory:") });
    mock.kv.set(kvId, { title: "old-kv" });
    mock.workers.set(name, {
      tag: "t", migrationTag: wranglerToml.migrations.at(-1)!.tag, versions: [{ id: "v0", created_on: new Date().toISOString() }], deployments: [], workersDev: true,
      bindings: [{ name: "DB", type: "d1", id: dbId }, { name: "KV", type: "kv_namespace", namespace_id: kvId }],
      secrets: new Map([["DEPLOY_TEST_MASTER_KEY", MASTER], ["DEPLOY_TEST_OPENAI_KEY", UPSTREAM]]),
    });
    const [d1Before, kvBefore] = [mock.d1.size, mock.kv.size];
    const run = await deploy(["--config", join(dir, "config.yaml"), "--env", "canary"]);
    expect(run.code, run.output).toBe(0);
    expect(mock.unknown).toEqual([]);
    expect([mock.d1.size, mock.kv.size]).toEqual([d1Before, kvBefore]); // nothing made
    expect(mock.d1.get(dbId)!.db.prepare("SELECT count(*) AS n FROM d1_migrations").get()).toEqual({ n: readdirSync(resolve(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).length });
    const byName = Object.fromEntries(mock.uploads.at(-1)!.metadata.bindings.map((b) => [b.name, b]));
    expect(byName.DB).toMatchObject({ type: "d1", id: dbId });
    expect(byName.KV).toMatchObject({ type: "kv_namespace", namespace_id: kvId });
  });
});
