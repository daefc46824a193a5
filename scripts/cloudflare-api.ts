// The few Cloudflare API calls the deploy makes itself (reads, and creating the D1 database), with the
// credentials wrangler uses: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL), else the
// `wrangler login` session (`wrangler auth token`, which refreshes it). Everything else goes through
// wrangler itself. Each wrangler start costs ~2 s of CPU; these calls cost milliseconds.
import { wrangler } from "./wrangler-cli";

export class CloudflareError extends Error {}

export interface CloudflareApi {
  accountId: string;
  /** Names of the Worker's secrets, or undefined when the Worker does not exist yet. */
  secretNames(worker: string): Promise<Set<string> | undefined>;
  /** The Worker's current bindings (type, name and the resource's id), or undefined when it does not exist yet. */
  workerBindings(worker: string): Promise<WorkerBinding[] | undefined>;
  /** D1 databases: name -> uuid. */
  d1Databases(): Promise<Map<string, string>>;
  createD1(name: string): Promise<string>;
  /** KV namespaces: title -> id. */
  kvNamespaces(): Promise<Map<string, string>>;
  /** Workers VPC services: name -> service id. */
  vpcServices(): Promise<Map<string, string>>;
}

export interface WorkerBinding {
  type: string;
  name: string;
  id?: string; // d1
  namespace_id?: string; // kv_namespace
}

interface Envelope<T> {
  success: boolean;
  errors?: { code: number; message: string }[];
  result: T;
  result_info?: { page?: number; per_page?: number; total_count?: number };
}

const WORKER_NOT_FOUND = 10007;

async function credentials(): Promise<Record<string, string>> {
  const { CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_API_KEY: key, CLOUDFLARE_EMAIL: email } = process.env;
  if (token) return { authorization: `Bearer ${token}` };
  if (key && email) return { "x-auth-key": key, "x-auth-email": email };
  let run = await wrangler(["auth", "token", "--json"]);
  if (run.code !== 0 && /Not logged in/.test(run.output) && process.stdin.isTTY) {
    await wrangler(["login"], { inherit: true }); // wrangler's own browser login
    run = await wrangler(["auth", "token", "--json"]);
  }
  if (run.code !== 0) throw new CloudflareError(`${run.output.trim()}\nLog in with \`npx wrangler login\`, or set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID).`);
  const auth = JSON.parse(run.stdout.slice(run.stdout.indexOf("{"))) as { type: string; token?: string; key?: string; email?: string };
  return auth.token ? { authorization: `Bearer ${auth.token}` } : { "x-auth-key": auth.key!, "x-auth-email": auth.email! };
}

/** Connects with wrangler's credentials; the account is CLOUDFLARE_ACCOUNT_ID, else `account_id`, else the only one. */
export async function connect(configuredAccountId?: string): Promise<CloudflareApi> {
  const base = process.env.CLOUDFLARE_API_BASE_URL ?? "https://api.cloudflare.com/client/v4";
  const headers = await credentials();

  async function call<T>(path: string, init: RequestInit = {}, query: Record<string, string> = {}): Promise<Envelope<T>> {
    const url = `${base}${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ""}`;
    const res = await fetch(url, { ...init, headers: { ...headers, "content-type": "application/json", ...init.headers } });
    const body = (await res.json().catch(() => ({ success: false, errors: [{ code: res.status, message: res.statusText }] }))) as Envelope<T>;
    if (!body.success) {
      const [first] = body.errors ?? [];
      throw Object.assign(new CloudflareError(`Cloudflare API ${init.method ?? "GET"} ${path}: ${first?.message ?? res.status} (code ${first?.code})`), { code: first?.code });
    }
    return body;
  }
  async function all<T>(path: string, perPage: number): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const { result, result_info: info } = await call<T[]>(path, {}, { page: String(page), per_page: String(perPage) });
      out.push(...result);
      if (!info?.total_count || page * (info.per_page ?? perPage) >= info.total_count || !result.length) return out;
    }
  }

  const accountId = process.env.CLOUDFLARE_ACCOUNT_ID ?? configuredAccountId ?? (await onlyAccount());
  async function onlyAccount(): Promise<string> {
    const accounts = await all<{ id: string; name: string }>("/accounts", 50);
    if (accounts.length === 1) return accounts[0].id;
    const list = accounts.map((a) => `  ${a.id}  ${a.name}`).join("\n");
    throw new CloudflareError(`${accounts.length ? "several accounts" : "no account"} for these credentials: set CLOUDFLARE_ACCOUNT_ID (or account_id in wrangler.toml)${list ? ` to one of:\n${list}` : ""}`);
  }
  const account = `/accounts/${accountId}`;
  /** Undefined when the Worker does not exist yet. */
  async function orNew<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if ((err as { code?: number }).code === WORKER_NOT_FOUND) return undefined;
      throw err;
    }
  }

  return {
    accountId,
    secretNames: async (worker) => orNew(async () => new Set((await call<{ name: string }[]>(`${account}/workers/scripts/${worker}/secrets`)).result.map((s) => s.name))),
    workerBindings: async (worker) => orNew(async () => (await call<{ bindings: WorkerBinding[] }>(`${account}/workers/scripts/${worker}/settings`)).result.bindings),
    d1Databases: async () => new Map((await all<{ name: string; uuid: string }>(`${account}/d1/database`, 100)).map((d) => [d.name, d.uuid])),
    createD1: async (name) => (await call<{ uuid: string }>(`${account}/d1/database`, { method: "POST", body: JSON.stringify({ name }) })).result.uuid,
    kvNamespaces: async () => new Map((await all<{ title: string; id: string }>(`${account}/storage/kv/namespaces`, 100)).map((n) => [n.title, n.id])),
    vpcServices: async () => new Map((await all<{ name: string; service_id: string }>(`${account}/connectivity/directory/services`, 100)).map((s) => [s.name, s.service_id])),
  };
}
