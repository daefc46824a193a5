// Starting (and stopping) everything the benchmark measures: the mock upstream, the null Worker,
// the gateway twice (master key / full path), Portkey's gateway, and optionally `wrangler dev`.
// Every server listens on 127.0.0.1 only; bench/run.ts checks that with `ss -ltnp` before any traffic.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Target } from "./client";
import { ROOT, pin } from "./proc";
import { WRANGLER, WRANGLER_ENV, type Bundle, startGateway, startNullWorker } from "./workerd";

export type ArmKey = "direct" | "null" | "gateway" | "full" | "guarded" | "observed" | "portkey" | "wranglerdev" | "cachehit" | "cachemiss";

export interface Arm {
  key: ArmKey;
  label: string;
  /** How the server under test runs (reported next to each figure). */
  mode: string;
  target: Target;
  /** The process under test (for CPU and RSS), when there is a single one. */
  pid?: number;
  /** Honest notes about what this arm did and did not exercise. */
  notes: string[];
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Ends the processes this harness started, by pid (also on Ctrl-C). */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGTERM");
  children.clear();
}

/**
 * Starts a child, pinned to `cpus` from its first instruction when given, and waits for `ready` on its output.
 * Its stdin is a pipe from this process: the mock and Portkey's preload exit when it closes, so they never
 * outlive the harness, however it ends.
 */
function startChild(cmd: string, args: string[], opts: { cpus?: string; env?: NodeJS.ProcessEnv; ready: RegExp; from: "stdout" | "stderr"; timeoutMs?: number }): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const [file, argv] = opts.cpus ? ["taskset", ["-c", opts.cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: ROOT, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  const log: string[] = [];
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start in time:\n${log.join("\n")}`)), opts.timeoutMs ?? 60_000);
    for (const stream of ["stdout", "stderr"] as const) {
      createInterface({ input: child[stream]! }).on("line", (line) => {
        if (log.length < 200) log.push(line);
        const match = stream === opts.from ? opts.ready.exec(line) : null;
        if (match) {
          clearTimeout(timer);
          resolvePromise({ child, match });
        }
      });
    }
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}) before it was ready:\n${log.join("\n")}`));
    });
  });
}

const stopChild = (child: ChildProcess) => async () => {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(child.pid, "SIGTERM");
  await exited;
  children.delete(child);
};

export interface MockProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startMockProcess(opts: { cpus?: string; delayMs: number; chunks: number; chunkMs: number }): Promise<MockProcess> {
  const { child, match } = await startChild(
    process.execPath,
    ["--import", "tsx", resolve(ROOT, "bench/mock-upstream.ts"), "--delay-ms", String(opts.delayMs), "--chunks", String(opts.chunks), "--chunk-ms", String(opts.chunkMs)],
    { cpus: opts.cpus, ready: /^\{"port":(\d+)\}$/, from: "stdout" },
  );
  return { url: `http://127.0.0.1:${match[1]}`, pid: child.pid!, stop: stopChild(child) };
}

const chatUrl = (base: string) => new URL(`${base}/v1/chat/completions`);

export function directArm(mock: MockProcess): Arm {
  return {
    key: "direct",
    label: "1 direct to mock",
    mode: "Node http mock",
    target: { url: chatUrl(mock.url), headers: { authorization: "Bearer sk-bench-upstream" }, model: "bench" },
    pid: mock.pid,
    notes: [],
    stop: async () => {},
  };
}

export async function nullArm(mock: MockProcess, cpus?: string): Promise<Arm> {
  const worker = await startNullWorker(mock.url);
  if (cpus) pin(worker.pid, cpus);
  return {
    key: "null",
    label: "2 null Worker",
    mode: "workerd via Miniflare API, direct socket",
    target: { url: chatUrl(worker.url), headers: { authorization: "Bearer sk-bench-upstream" }, model: "bench" },
    pid: worker.pid,
    notes: [],
    stop: worker.dispose,
  };
}

const GATEWAY_LABELS = { gateway: "3 gateway, master key", full: "4 gateway, full path", guarded: "4g full path + default_on guardrail", observed: "4o full path + Prometheus + webhook callback" } as const;

export async function gatewayArm(key: keyof typeof GATEWAY_LABELS, bundle: Bundle, mock: MockProcess, masterKey: string, cpus?: string): Promise<Arm & { baseUrl: string; migrated: boolean }> {
  const gw = await startGateway(key, bundle, { LITELLM_MASTER_KEY: masterKey, BENCH_UPSTREAM: `${mock.url}/v1`, BENCH_CALLBACK: `${mock.url}/callback` });
  if (cpus) pin(gw.pid, cpus);
  return {
    key,
    label: GATEWAY_LABELS[key],
    mode: "workerd via Miniflare API, direct socket",
    target: { url: chatUrl(gw.url), headers: { authorization: `Bearer ${masterKey}` }, model: key === "gateway" ? "bench" : "bench-pair" },
    pid: gw.pid,
    baseUrl: gw.url,
    migrated: gw.migrated,
    notes: [],
    stop: gw.dispose,
  };
}

/**
 * The gateway of arm 3 with the response cache on (bench/configs/cache.yaml). "cachehit": the same request
 * every time, answered from KV after the first. "cachemiss": `cache: {"no-store": true}`, so each request
 * is looked up, missed and sent upstream.
 */
export async function cacheArm(key: "cachehit" | "cachemiss", bundle: Bundle, mock: MockProcess, masterKey: string, cpus?: string): Promise<Arm> {
  const gw = await startGateway(key, bundle, { LITELLM_MASTER_KEY: masterKey, BENCH_UPSTREAM: `${mock.url}/v1` });
  if (cpus) pin(gw.pid, cpus);
  const hit = key === "cachehit";
  return {
    key,
    label: hit ? "6 gateway, cache hit" : "7 gateway, cache miss",
    mode: "workerd via Miniflare API, direct socket; local KV",
    target: { url: chatUrl(gw.url), headers: { authorization: `Bearer ${masterKey}` }, model: "bench", ...(hit ? {} : { extra: { cache: { "no-store": true } } }) },
    pid: gw.pid,
    notes: [hit ? "every request after the first answered from the cache (x-litellm-cache-hit)" : "every request looked up (SHA-256 of the request, one KV read), missed, and sent upstream; nothing stored"],
    stop: gw.dispose,
  };
}

export async function portkeyArm(mock: MockProcess, cpus?: string): Promise<Arm> {
  const { child, match } = await startChild(
    process.execPath,
    ["--import", resolve(ROOT, "bench/portkey/loopback.mjs"), resolve(ROOT, "node_modules/@portkey-ai/gateway/build/start-server.js"), "--port=0", "--headless"],
    { cpus, ready: /^BENCH_LISTENING (.*)$/, from: "stderr" },
  );
  const { address, port } = JSON.parse(match[1]) as AddressInfo;
  if (address !== "127.0.0.1") throw new Error(`Portkey bound ${address}, not 127.0.0.1; refusing to continue`);
  return {
    key: "portkey",
    label: "5 Portkey gateway",
    mode: "Node (its npm start-server.js)",
    target: {
      url: chatUrl(`http://127.0.0.1:${port}`),
      headers: { authorization: "Bearer sk-bench-upstream", "x-portkey-provider": "openai", "x-portkey-custom-host": `${mock.url}/v1` },
      model: "bench",
    },
    pid: child.pid,
    notes: [],
    stop: stopChild(child),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePromise(port));
    });
  });
}

/** The arm-3 gateway under `wrangler dev` (what `npm start` runs), to show what its proxy layers cost. */
export async function wranglerDevArm(mock: MockProcess, masterKey: string, configPath: string, cpus?: string): Promise<Arm> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "bench-wranglerdev-"));
  const envFile = join(state, "dev.env");
  writeFileSync(envFile, `LITELLM_MASTER_KEY=${JSON.stringify(masterKey)}\nBENCH_UPSTREAM=${JSON.stringify(`${mock.url}/v1`)}\n`, { mode: 0o600 });
  const { child } = await startChild(
    WRANGLER[0],
    [WRANGLER[1], "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--env-file", envFile, "--show-interactive-dev-session=false", "--inspector-port", String(await freePort())],
    { cpus, env: { ...WRANGLER_ENV, WRANGLER_LOG: "log", GATEWAY_CONFIG: configPath, GATEWAY_BUILD_QUIET: "1" }, ready: /Ready on http/, from: "stdout", timeoutMs: 120_000 },
  );
  return {
    key: "wranglerdev",
    label: "3w gateway under wrangler dev",
    mode: "wrangler dev (Node proxy + Miniflare entry Worker + workerd)",
    target: { url: chatUrl(`http://127.0.0.1:${port}`), headers: { authorization: `Bearer ${masterKey}` }, model: "bench" },
    pid: undefined,
    notes: ["CPU and RSS not reported: wrangler dev spreads the work over several processes"],
    stop: async () => {
      await stopChild(child)();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
