// A mock of the Cloudflare API on 127.0.0.1, speaking the endpoints and shapes that wrangler 4.156 calls for
// `wrangler deploy` (script upload or versions + deployments, KV/D1 provisioning, workers.dev, static assets)
// and `wrangler d1 migrations apply --remote` (read from node_modules/wrangler/wrangler-dist/cli.js), plus the
// reads scripts/cloudflare-api.ts makes. Point wrangler at it with CLOUDFLARE_API_BASE_URL=<url>.
// D1 databases are real SQLite databases (node:sqlite), so migrations really run and a second apply finds
// them applied. Every request is recorded; one it does not know is answered 404 and kept in `unknown`,
// so a test fails loudly when wrangler starts calling something new.
import { createServer, type IncomingMessage } from "node:http";
import { DatabaseSync } from "node:sqlite";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string; // without /client/v4
  query: URLSearchParams;
  text: string; // the body, as text (multipart uploads included)
}

export interface Binding {
  name: string;
  type: string;
  [field: string]: unknown;
}

export interface ScriptUpload {
  metadata: { main_module?: string; bindings: Binding[]; migrations?: { old_tag?: string; new_tag: string; steps: unknown[] }; [k: string]: unknown };
  modules: string[];
  via: "script" | "version";
}

export interface Worker {
  tag: string;
  migrationTag?: string;
  bindings: Binding[]; // resolved: no "inherit" left; secret_text values kept only in `secrets`
  secrets: Map<string, string>;
  versions: { id: string; created_on: string }[];
  deployments: { id: string; created_on: string; versions: { version_id: string; percentage: number }[] }[];
  workersDev: boolean;
  assetsJwt?: string;
}

export interface CloudflareMock {
  url: string; // the value for CLOUDFLARE_API_BASE_URL
  accountId: string;
  requests: RecordedRequest[];
  unknown: RecordedRequest[];
  uploads: ScriptUpload[];
  workers: Map<string, Worker>;
  kv: Map<string, { title: string }>;
  d1: Map<string, { name: string; db: DatabaseSync }>;
  /** Workers VPC services (the test adds them): service id -> name. */
  vpc: Map<string, string>;
  close(): Promise<void>;
}

const SUBDOMAIN = "example-team";
const INVALID_INHERIT_BINDING = 10057;
const WORKER_NOT_FOUND = 10007;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (req: RecordedRequest, m: RegExpMatchArray, raw: { headers: IncomingMessage["headers"]; body: Buffer }) => unknown | Promise<unknown>;

export async function startCloudflareMock(accountId = "0123456789abcdef0123456789abcdef"): Promise<CloudflareMock> {
  const requests: RecordedRequest[] = [];
  const unknown: RecordedRequest[] = [];
  const uploads: ScriptUpload[] = [];
  const workers = new Map<string, Worker>();
  const kv = new Map<string, { title: string }>();
  const d1 = new Map<string, { name: string; db: DatabaseSync }>();
  const vpc = new Map<string, string>();
  const assetTokens = new Set<string>(); // completion JWTs of finished asset uploads
  const id = (n = 32) => [...crypto.getRandomValues(new Uint8Array(n / 2))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const uuid = () => crypto.randomUUID();
  const now = () => new Date().toISOString();

  const worker = (name: string): Worker => {
    const w = workers.get(name);
    if (!w) throw new ApiError(404, WORKER_NOT_FOUND, "This Worker does not exist on your account.");
    return w;
  };
  const d1ByIdOrName = (idOrName: string) => {
    for (const [uuid, entry] of d1) if (uuid === idOrName || entry.name === idOrName) return { uuid, ...entry };
    throw new ApiError(404, 7404, `The database ${idOrName} could not be found`);
  };
  const d1Info = (uuid: string, name: string) => ({ uuid, name, version: "production", created_at: now(), num_tables: 0, file_size: 0, running_in_region: "WEUR" });
  const paged = <T>(items: T[], query: URLSearchParams, perPageDefault = 20) => {
    const perPage = Number(query.get("per_page") ?? perPageDefault);
    const page = Number(query.get("page") ?? 1);
    return { list: items.slice((page - 1) * perPage, page * perPage), info: { page, per_page: perPage, count: Math.min(perPage, items.length), total_count: items.length, total_pages: Math.ceil(items.length / perPage) } };
  };

  // The script upload (PUT /scripts/:name) and the versions API (POST /versions) carry the same form.
  async function upload(name: string, raw: { headers: IncomingMessage["headers"]; body: Buffer }, via: ScriptUpload["via"]) {
    const form = await new Response(new Uint8Array(raw.body), { headers: { "content-type": String(raw.headers["content-type"]) } }).formData();
    const metadata = JSON.parse(String(form.get("metadata"))) as ScriptUpload["metadata"];
    const modules = [...form.keys()].filter((k) => k !== "metadata");
    uploads.push({ metadata, modules, via });
    const previous = workers.get(name);
    const resolved: Binding[] = [];
    const secrets = new Map(previous?.secrets);
    for (const b of metadata.bindings) {
      if (b.type === "inherit") {
        const before = previous?.bindings.find((p) => p.name === b.name) ?? (previous?.secrets.has(b.name) ? { name: b.name, type: "secret_text" } : undefined);
        if (!before) throw new ApiError(400, INVALID_INHERIT_BINDING, `inherit binding '${b.name}' is invalid: no previous version has a binding of that name`);
        resolved.push(before);
      } else if (b.type === "secret_text") {
        secrets.set(b.name, String(b.text));
      } else {
        if (b.type === "d1" && !d1.has(String(b.id))) throw new ApiError(400, 10021, `D1 binding '${b.name}' references database ${String(b.id)}, which does not exist`);
        if (b.type === "kv_namespace" && !kv.has(String(b.namespace_id))) throw new ApiError(400, 10041, `KV binding '${b.name}' references namespace ${String(b.namespace_id)}, which does not exist`);
        resolved.push(b);
      }
    }
    const assets = metadata.assets as { jwt?: string } | undefined;
    if (assets && !assetTokens.has(String(assets.jwt))) throw new ApiError(400, 10201, "assets.jwt is not the completion token of an asset upload");
    const migrations = metadata.migrations;
    if (migrations && (migrations.old_tag ?? undefined) !== previous?.migrationTag) {
      throw new ApiError(400, 10079, `migration old_tag ${migrations.old_tag} does not match the script's tag ${previous?.migrationTag}`);
    }
    const versionId = uuid();
    const w: Worker = previous ?? { tag: id(), bindings: [], secrets, versions: [], deployments: [], workersDev: false };
    w.bindings = resolved.filter((b) => b.type !== "secret_text");
    w.secrets = secrets;
    if (migrations) w.migrationTag = migrations.new_tag;
    w.versions.push({ id: versionId, created_on: now() });
    workers.set(name, w);
    return { w, versionId };
  }

  function deploy(w: Worker, versionId: string) {
    const deployment = { id: uuid(), created_on: now(), source: "wrangler", strategy: "percentage", versions: [{ version_id: versionId, percentage: 100 }], annotations: {} };
    w.deployments.unshift(deployment);
    return deployment;
  }

  const scriptInfo = (name: string, w: Worker) => ({
    id: name,
    tag: w.tag,
    etag: id(),
    migration_tag: w.migrationTag,
    created_on: w.versions[0]?.created_on,
    modified_on: now(),
    last_deployed_from: "wrangler",
    tags: [],
    handlers: ["fetch"],
    compatibility_date: "2026-10-20",
  });

  const A = "/accounts/([^/]+)";
  const S = `${A}/workers/scripts/([^/]+)`;
  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/user\/tokens\/verify$/, () => ({ id: id(), status: "active" })],
    ["GET", /^\/user$/, () => ({ id: id(), email: "deployer@example.com" })],
    ["GET", /^\/memberships$/, () => [{ id: id(), account: { id: accountId, name: "Example Team" }, status: "accepted" }]],
    ["GET", /^\/accounts$/, () => [{ id: accountId, name: "Example Team" }]],

    // --- Workers scripts ---
    ["GET", new RegExp(`^${A}/workers/services/([^/]+)$`), (_r, m) => {
      const w = worker(m[2]);
      return { id: m[2], default_environment: { environment: "production", script: scriptInfo(m[2], w) } };
    }],
    ["GET", new RegExp(`^${S}/settings$`), (_r, m) => {
      const w = worker(m[2]);
      return { bindings: [...w.bindings, ...[...w.secrets.keys()].map((name) => ({ name, type: "secret_text" }))], compatibility_date: "2026-10-20", compatibility_flags: [], placement: {}, tail_consumers: [], observability: { enabled: true } };
    }],
    ["GET", new RegExp(`^${S}/secrets$`), (_r, m) => [...worker(m[2]).secrets.keys()].map((name) => ({ name, type: "secret_text" }))],
    ["GET", new RegExp(`^${S}/deployments$`), (_r, m) => ({ deployments: worker(m[2]).deployments })],
    ["POST", new RegExp(`^${S}/deployments$`), (r, m) => {
      const w = worker(m[2]);
      const { versions } = JSON.parse(r.text) as { versions: { version_id: string; percentage: number }[] };
      if (!versions.every((v) => w.versions.some((x) => x.id === v.version_id))) throw new ApiError(400, 10200, "unknown version");
      return deploy(w, versions[0].version_id);
    }],
    ["GET", new RegExp(`^${S}/versions/([^/]+)$`), (_r, m) => {
      const v = worker(m[2]).versions.find((x) => x.id === m[3]);
      if (!v) throw new ApiError(404, 10200, "version not found");
      return { id: v.id, number: 1, metadata: { created_on: v.created_on, source: "wrangler" }, annotations: {}, resources: { bindings: [], script: {} } };
    }],
    ["PUT", new RegExp(`^${S}$`), async (_r, m, raw) => {
      const { w, versionId } = await upload(m[2], raw, "script");
      deploy(w, versionId);
      return { ...scriptInfo(m[2], w), deployment_id: versionId, startup_time_ms: 3 };
    }],
    ["POST", new RegExp(`^${S}/versions$`), async (_r, m, raw) => {
      const { w, versionId } = await upload(m[2], raw, "version");
      return { id: versionId, number: w.versions.length, metadata: {}, resources: { script: { etag: id() }, bindings: w.bindings }, startup_time_ms: 3 };
    }],
    ["PATCH", new RegExp(`^${S}/script-settings$`), (_r, m) => ({ logpush: false, tail_consumers: [], observability: worker(m[2]) && { enabled: true } })],
    ["GET", new RegExp(`^${A}/workers/subdomain$`), () => ({ subdomain: SUBDOMAIN })],
    ["GET", new RegExp(`^${S}/subdomain$`), (_r, m) => ({ enabled: worker(m[2]).workersDev, previews_enabled: false })],
    ["POST", new RegExp(`^${S}/subdomain$`), (r, m) => {
      const w = worker(m[2]);
      w.workersDev = Boolean((JSON.parse(r.text) as { enabled: boolean }).enabled);
      return { enabled: w.workersDev, previews_enabled: false };
    }],
    ["GET", new RegExp(`^${A}/workers/workers/([^/]+)$`), (_r, m) => ({ id: m[2], name: m[2], subdomain: { enabled: worker(m[2]).workersDev, previews_enabled: false } })],
    ["GET", new RegExp(`^${S}/schedules$`), () => ({ schedules: [] })],
    ["PUT", new RegExp(`^${S}/schedules$`), () => ({ schedules: [] })],

    // --- Static assets (wrangler's [assets] upload: a session, then buckets of files under the session's JWT) ---
    ["POST", new RegExp(`^${S}/assets-upload-session$`), (r) => {
      const { manifest } = JSON.parse(r.text) as { manifest: Record<string, { hash: string }> };
      const hashes = Object.values(manifest).map((f) => f.hash);
      if (hashes.length) return { jwt: `upload-${id()}`, buckets: [hashes] };
      const jwt = `complete-${id()}`;
      assetTokens.add(jwt);
      return { jwt, buckets: [] };
    }],
    ["POST", new RegExp(`^${A}/workers/assets/upload$`), (_r, _m, raw) => {
      if (!String(raw.headers.authorization).startsWith("Bearer upload-")) throw new ApiError(401, 10001, "bad upload token");
      const jwt = `complete-${id()}`;
      assetTokens.add(jwt);
      return { jwt };
    }],

    // --- KV ---
    ["GET", new RegExp(`^${A}/storage/kv/namespaces$`), (r) => {
      const all = [...kv].map(([nsId, ns]) => ({ id: nsId, title: ns.title, supports_url_encoding: true })).sort((a, b) => a.title.localeCompare(b.title));
      return paged(all, r.query, 20);
    }],
    ["POST", new RegExp(`^${A}/storage/kv/namespaces$`), (r) => {
      const { title } = JSON.parse(r.text) as { title: string };
      if ([...kv.values()].some((ns) => ns.title === title)) throw new ApiError(400, 10014, "a namespace with this account ID and title already exists");
      const nsId = id();
      kv.set(nsId, { title });
      return { id: nsId, title, supports_url_encoding: true };
    }],

    // --- D1 ---
    ["GET", new RegExp(`^${A}/d1/database$`), (r) => paged([...d1].map(([u, e]) => d1Info(u, e.name)), r.query, 10)],
    ["POST", new RegExp(`^${A}/d1/database$`), (r) => {
      const { name } = JSON.parse(r.text) as { name: string };
      if ([...d1.values()].some((e) => e.name === name)) throw new ApiError(400, 7502, "A database with that name already exists");
      const u = uuid();
      d1.set(u, { name, db: new DatabaseSync(":memory:") });
      return d1Info(u, name);
    }],
    ["GET", new RegExp(`^${A}/d1/database/([^/]+)$`), (_r, m) => {
      const e = d1ByIdOrName(decodeURIComponent(m[2]));
      return d1Info(e.uuid, e.name);
    }],
    ["POST", new RegExp(`^${A}/d1/database/([^/]+)/query$`), (r, m) => runSql(d1ByIdOrName(m[2]).db, r.text)],

    // --- Workers VPC ---
    ["GET", new RegExp(`^${A}/connectivity/directory/services$`), (r) =>
      paged([...vpc].map(([service_id, name]) => ({ service_id, name, type: "http", http_port: 11434, host: { ipv4: "127.0.0.1", network: { tunnel_id: id() } }, created_at: now(), updated_at: now() })), r.query, 20)],
  ];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://x");
      const record: RecordedRequest = { method: req.method ?? "GET", path: url.pathname.replace(/^\/client\/v4/, ""), query: url.searchParams, text: body.toString("utf8") };
      requests.push(record);
      const send = (status: number, payload: object, extra: object = {}) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ ...payload, ...extra }));
      };
      const route = routes.find(([method, re]) => method === record.method && re.test(record.path));
      if (!route) {
        unknown.push(record);
        return send(404, { success: false, errors: [{ code: 7003, message: `mock: no route for ${record.method} ${record.path}` }], messages: [], result: null });
      }
      try {
        const out = await route[2](record, record.path.match(route[1])!, { headers: req.headers, body });
        const isPage = out && typeof out === "object" && "list" in out && "info" in out;
        const result = isPage ? (out as { list: unknown }).list : out;
        send(200, { success: true, errors: [], messages: [], result }, isPage ? { result_info: (out as { info: unknown }).info } : {});
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, 10013, String(err));
        send(e.status, { success: false, errors: [{ code: e.code, message: e.message }], messages: [], result: null });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    accountId,
    requests,
    unknown,
    uploads,
    workers,
    kv,
    d1,
    vpc,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

// D1's /query: one result per statement, as the API answers ({results, success, meta}).
function runSql(db: DatabaseSync, text: string) {
  const { sql, params = [] } = JSON.parse(text) as { sql: string; params?: unknown[] };
  const statements = splitStatements(sql);
  const out = [];
  db.exec("BEGIN");
  try {
    for (const statement of statements) {
      const prepared = db.prepare(statement);
      const isRead = /^\s*(select|pragma|with)\b/i.test(statement);
      const results = isRead ? prepared.all(...(params as never[])) : (prepared.run(...(params as never[])), []);
      out.push({ results, success: true, meta: { duration: 0.1, changes: 0, rows_read: results.length, rows_written: isRead ? 0 : 1 } });
    }
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw new ApiError(400, 7500, `${String(err)}: SQLITE_ERROR`);
  }
  return out;
}

// Splits SQL text on semicolons outside quotes and comments (what D1 does with a multi-statement query).
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`") {
      const end = sql.indexOf(c, i + 1);
      current += sql.slice(i, end < 0 ? undefined : end + 1);
      i = end < 0 ? sql.length : end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (c === ";") {
      if (current.trim()) out.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
