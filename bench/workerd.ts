// Running Workers for the benchmark in the least-overhead local mode found: Miniflare's API driving
// workerd directly, each Worker on its own "direct socket" (Miniflare's unsafeDirectSockets), so a
// request goes client -> workerd -> the Worker with no Node proxy and no Miniflare entry Worker in
// between. `wrangler dev` puts its own proxy layers in front; bench/run.ts can measure that too (--wrangler-dev).
// The gateway runs from the bundle `wrangler deploy --dry-run` makes (the same bytes a deploy uploads),
// with the bindings read from wrangler.toml and local D1/KV/DO state in a temp dir, migrations applied.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT, childPids } from "./proc";

// The Miniflare (and so the workerd) that wrangler itself runs, i.e. what `npm start` users get.
const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const { Miniflare, convertV4MiniflareOptions } = (await import(requireFromWrangler.resolve("miniflare"))) as typeof import("miniflare") & {
  /** This Miniflare's constructor takes a new options shape; wrangler converts its (v4-shaped) options with this. */
  convertV4MiniflareOptions(options: unknown): ConstructorParameters<typeof import("miniflare").Miniflare>[0];
};

/** wrangler's CLI, run with this very Node (22) whatever `node` is first on PATH. */
export const WRANGLER = [process.execPath, resolve(ROOT, "node_modules/wrangler/bin/wrangler.js")] as const;

export function runtimeVersions(): Record<string, string> {
  const version = (req: NodeJS.Require, pkg: string) => (req(`${pkg}/package.json`) as { version: string }).version;
  const requireFromMiniflare = createRequire(requireFromWrangler.resolve("miniflare"));
  return {
    wrangler: version(createRequire(import.meta.url), "wrangler"),
    miniflare: version(requireFromWrangler, "miniflare"),
    workerd: version(requireFromMiniflare, "workerd"),
  };
}
/** For wrangler and its [build] command (`tsx ...`): the project's bin first on PATH, no prompts, no metrics. */
export const WRANGLER_ENV = {
  ...process.env,
  PATH: `${resolve(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_LOG: "warn",
};

export interface WorkerdArm {
  /** Base URL of the Worker's own socket. */
  url: string;
  /** The workerd process serving it. */
  pid: number;
  /** workerd's DevTools inspector, when asked for (bench/profile.ts). */
  inspectorUrl?: string;
  dispose(): Promise<void>;
}

export interface Bundle {
  path: string;
  /** What wrangler printed ("Total Upload: ... / gzip: ..."), as printed. */
  wranglerSize: string;
  /** The config warnings the build printed (keys this build accepts but does not act on). */
  warnings: string[];
  bytes: number;
  gzipBytes: number;
}

/** `wrangler deploy --dry-run --outdir` for a given config.yaml; build/config.json is restored afterwards. */
export function buildGatewayBundle(configPath: string, outDir: string): Bundle {
  const compiledPath = resolve(ROOT, "build/config.json");
  const saved = existsSync(compiledPath) ? readFileSync(compiledPath) : undefined;
  try {
    const run = spawnSync(WRANGLER[0], [WRANGLER[1], "deploy", "--dry-run", "--outdir", outDir], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...WRANGLER_ENV, WRANGLER_LOG: "log", GATEWAY_CONFIG: configPath }, // "log": the size line
    });
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed for ${configPath}:\n${run.stdout}\n${run.stderr}`);
    const output = run.stdout + run.stderr;
    const sizeLine = /Total Upload:[^\n]*/.exec(output)?.[0] ?? "(wrangler printed no size line)";
    const warnings = [...output.matchAll(/\[gateway\] warning: ([^\n]*)/g)].map((m) => m[1].trim());
    const file = readdirSync(outDir).find((f) => f.endsWith(".js"));
    if (!file) throw new Error(`wrangler deploy --dry-run wrote no .js bundle into ${outDir}`);
    const code = readFileSync(join(outDir, file));
    return { path: join(outDir, file), wranglerSize: sizeLine.trim(), warnings, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength };
  } finally {
    if (saved) writeFileSync(compiledPath, saved);
  }
}

/** Applies migrations/ to a fresh local D1 under persistDir (as `npm start` does); false when there are none. */
function applyMigrations(persistDir: string): boolean {
  const dir = resolve(ROOT, "migrations");
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith(".sql"))) return false;
  const run = spawnSync(WRANGLER[0], [WRANGLER[1], "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], { cwd: ROOT, encoding: "utf8", env: WRANGLER_ENV });
  if (run.status !== 0) throw new Error(`applying D1 migrations failed:\n${run.stdout}\n${run.stderr}`);
  return true;
}

/**
 * workerd's console output: the gateway's JSON line per LLM call (src/observability/log-line.ts) is dropped
 * here (workerd still writes each one, as it hands them to Workers Logs in production; printed, thousands
 * a second would load the harness and bury the report); anything else goes to stderr.
 */
const handleStructuredLogs = ({ message }: { message: string }) => {
  if (!message.startsWith('{"message":"llm call"')) process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
};

async function startMiniflare(name: string, worker: Record<string, unknown>, persistDir: string | undefined, inspect = false): Promise<WorkerdArm> {
  const before = new Set(childPids(process.pid));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      logRequests: false,
      handleStructuredLogs,
      ...(inspect ? { inspectorPort: 0, inspectorHost: "127.0.0.1" } : {}),
      ...(persistDir ? { resourcePersistencePath: join(persistDir, "v3") } : {}),
      workers: [{ name, ...worker, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    }),
  );
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL(name)).toString().replace(/\/$/, "");
  const pid = childPids(process.pid).find((p) => !before.has(p));
  if (!pid) throw new Error(`could not find the workerd process of ${name}`);
  const inspectorUrl = inspect ? (await mf.getInspectorURL()).toString() : undefined;
  return { url, pid, inspectorUrl, dispose: () => mf.dispose() };
}

/**
 * A Worker's modules: its entry first, then every other .js file beside it, all ES modules (bundles and
 * bench/'s Workers are; Miniflare's default rules would load an imported .js file as CommonJS).
 */
function entryModules(entry: string): Record<string, unknown> {
  const dir = dirname(entry);
  const others = readdirSync(dir).filter((f) => f.endsWith(".js") && f !== basename(entry));
  return { modulesRoot: dir, modules: [entry, ...others.map((f) => join(dir, f))].map((path) => ({ type: "ESModule", path })) };
}

function rootCompat() {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve(ROOT, "wrangler.toml"));
  return workerOptions;
}

/** Arm 2: the null pass-through Worker, same compatibility date and flags as the gateway (or another plain Worker of bench/). */
export function startNullWorker(upstream: string, script = "bench/null-worker/index.js", inspect = false): Promise<WorkerdArm> {
  const { compatibilityDate, compatibilityFlags } = rootCompat();
  return startMiniflare(
    script.split("/").at(-2)!,
    {
      ...entryModules(resolve(ROOT, script)),
      compatibilityDate,
      compatibilityFlags,
      bindings: { UPSTREAM: upstream },
    },
    undefined,
    inspect,
  );
}

/** A Worker with its local state (D1, KV, Durable Objects) in a fresh temp dir, migrations applied; disposing removes the dir. */
async function startWithState(name: string, worker: Record<string, unknown>, inspect = false): Promise<WorkerdArm & { migrated: boolean; persistDir: string }> {
  const persistDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const migrated = applyMigrations(persistDir);
  const arm = await startMiniflare(name, worker, persistDir, inspect);
  const dispose = async () => {
    await arm.dispose();
    rmSync(persistDir, { recursive: true, force: true });
  };
  return { ...arm, dispose, migrated, persistDir };
}

/** Arms 3 and 4: the gateway bundle with wrangler.toml's bindings (D1, KV, Durable Objects) and the given vars. */
export function startGateway(name: string, bundle: Bundle, vars: Record<string, string>, inspect = false, extraFlags: string[] = []): Promise<WorkerdArm & { migrated: boolean; persistDir: string }> {
  const { rootPath: _root, modulesRules: _rules, ...options } = rootCompat() as Record<string, unknown>;
  const compatibilityFlags = [...((options.compatibilityFlags as string[] | undefined) ?? []), ...extraFlags];
  return startWithState(name, { ...options, compatibilityFlags, ...entryModules(bundle.path), bindings: { ...(options.bindings as object), ...vars } }, inspect);
}

/** A plain Worker (an ES module bundle) with only wrangler.toml's D1 binding, migrations applied: for bench/flush.ts. */
export function startWithD1(name: string, entry: string): Promise<WorkerdArm> {
  const { compatibilityDate, compatibilityFlags, d1Databases } = rootCompat() as Record<string, unknown>;
  return startWithState(name, { ...entryModules(entry), compatibilityDate, compatibilityFlags, d1Databases });
}

/**
 * As arm 4 of bench/run.ts: a virtual key from the gateway's own POST /key/generate, with an rpm limit
 * and a budget far above what a run uses, so limits and spend are on without ever refusing a call.
 */
export async function benchVirtualKey(gatewayUrl: string, masterKey: string, model?: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${masterKey}`, "content-type": "application/json" },
    body: JSON.stringify({ rpm_limit: 1_000_000, max_budget: 1_000_000, ...(model ? { models: [model] } : {}) }),
  });
  if (!res.ok) throw new Error(`POST /key/generate answered HTTP ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/**
 * The gateway bundle as several Workers - several isolates - in one workerd, sharing one local state: the
 * first Worker defines the Durable Objects and the others bind to them by script name; D1 and KV are the
 * same namespaces. For test/node/metrics-isolates.test.ts (a scrape on any isolate sees every isolate's calls).
 */
export async function startGatewayIsolates(count: number, bundle: Bundle, vars: Record<string, string>): Promise<{ urls: string[]; dispose(): Promise<void> }> {
  const persistDir = mkdtempSync(join(tmpdir(), "gateway-isolates-"));
  applyMigrations(persistDir);
  const { rootPath: _root, modulesRules: _rules, ...options } = rootCompat() as Record<string, unknown>;
  const names = Array.from({ length: count }, (_, i) => `gateway-${i}`);
  const durableObjects = options.durableObjects as Record<string, Record<string, unknown>>;
  const shared = Object.fromEntries(Object.entries(durableObjects).map(([binding, d]) => [binding, { ...d, scriptName: names[0] }]));
  const workers = names.map((name, i) => ({
    name,
    ...options,
    ...entryModules(bundle.path),
    bindings: { ...(options.bindings as object), ...vars },
    durableObjects: i === 0 ? durableObjects : shared,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  }));
  const mf = new Miniflare(convertV4MiniflareOptions({ host: "127.0.0.1", port: 0, logRequests: false, handleStructuredLogs, resourcePersistencePath: join(persistDir, "v3"), workers }));
  await mf.ready;
  const urls = await Promise.all(names.map(async (name) => (await mf.unsafeGetDirectURL(name)).toString().replace(/\/$/, "")));
  return {
    urls,
    async dispose() {
      await mf.dispose();
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
}
