// `npx tsx bench/profile.ts [--config bench/configs/gateway.yaml] [--model bench] [--requests 5000] [--connections 1] [--stream] [--virtual-key]`
// `[--bundle <prebuilt index.js>]` profiles a bundle from bench/bundle.ts instead of building one;
// `[--plain bench/json-worker/index.js]` profiles a plain Worker of bench/ instead (to compare against the floor).
// `[--target <name>]` profiles another isolate of the same workerd (an unknown name lists them), e.g. local D1's.
// (the full path: `--config bench/configs/full.yaml --model bench-pair --virtual-key`)
// Where the gateway's CPU goes inside workerd: the same bundle and runtime as bench/run.ts, profiled
// through workerd's DevTools inspector (V8's sampling profiler) while the harness client drives it.
// Prints self and inclusive time by function and by source module (esbuild's `// src/...` markers in
// the bundle), and writes bench/results/<name>.cpuprofile (open it in Chrome DevTools).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./proc";
import { killChildren, startMockProcess } from "./arms";
import { closedLoop, newAgent, postStream, sequential, type Target } from "./client";
import { type Bundle, benchVirtualKey, buildGatewayBundle, startGateway, startNullWorker } from "./workerd";

const { values } = parseArgs({
  options: {
    config: { type: "string", default: "bench/configs/gateway.yaml" },
    model: { type: "string", default: "bench" },
    requests: { type: "string", default: "5000" },
    connections: { type: "string", default: "1" },
    stream: { type: "boolean", default: false },
    "virtual-key": { type: "boolean", default: false },
    bundle: { type: "string" },
    plain: { type: "string" },
    target: { type: "string" },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A tiny DevTools-protocol client over Node's built-in WebSocket. */
async function inspector(httpUrl: string) {
  const targets = (await (await fetch(new URL("/json/list", httpUrl.replace(/^ws/, "http")))).json()) as { webSocketDebuggerUrl: string; title?: string; id: string }[];
  const wanted = values.target ?? "gateway";
  const target =
    targets.find((t) => t.title?.endsWith(`:${wanted}`) || t.title?.endsWith(` ${wanted}`)) ??
    targets.find((t) => t.id.includes(wanted) || t.title?.includes(wanted)) ??
    (values.target ? undefined : targets[0]);
  if (!target) throw new Error(`workerd's inspector lists no target '${wanted}' (it lists: ${targets.map((t) => t.title ?? t.id).join(", ")})`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => {
    socket.addEventListener("open", r);
    socket.addEventListener("error", j);
  });
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event: { data: unknown }) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id && waiting.has(msg.id)) waiting.get(msg.id)!(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
  });
  return {
    send<T = unknown>(method: string, params: object = {}): Promise<T> {
      const id = next++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((r) => waiting.set(id, r as (v: unknown) => void));
    },
    close: () => socket.close(),
  };
}

/** Maps bundle line numbers to the source module esbuild placed there. */
function moduleMap(bundlePath: string) {
  const starts: [line: number, module: string][] = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const m = /^\/\/ ((?:src|node_modules|build)\/\S+)$/.exec(line);
      if (m) starts.push([i, m[1].replace(/^node_modules\/(\.pnpm\/)?/, "")]);
    });
  return (line: number) => {
    let found = "(bundle)";
    for (const [start, module] of starts) {
      if (start > line) break;
      found = module;
    }
    return found;
  };
}

function summarise(profile: Profile, moduleAt: (line: number) => string, bundleName: string): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
    total += dt;
  });
  const where = (n: ProfileNode) => (n.callFrame.url.endsWith(bundleName) ? moduleAt(n.callFrame.lineNumber) : n.callFrame.url || "(native)");
  const label = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"}  [${where(n)}]`;
  const self = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + t);
    const module = where(n).replace(/^(node_modules\/)?((@[^/]+\/)?[^/]+)\/.*$/, "$2");
    selfByModule.set(module, (selfByModule.get(module) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!;
      if (!where(node).startsWith("src/")) continue;
      const key = label(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join("\n");
  return [
    `sampled ${(total / 1000).toFixed(0)} ms of the gateway isolate's thread`,
    "",
    "self time by module:",
    top(selfByModule, 20),
    "",
    "self time by function:",
    top(self, 30),
    "",
    "inclusive time of src/ functions:",
    top(inclusive, 30),
  ].join("\n");
}

const N = Number(values.requests);
const bundleDir = join(tmpdir(), `bench-profile-${process.pid}`);
const connections = Number(values.connections);
try {
  const bundle: Bundle = values.plain
    ? { path: resolve(ROOT, values.plain), wranglerSize: "", warnings: [], bytes: 0, gzipBytes: 0 }
    : values.bundle
      ? { path: resolve(values.bundle), wranglerSize: "", warnings: [], bytes: 0, gzipBytes: 0 }
      : buildGatewayBundle(resolve(ROOT, values.config!), bundleDir);
  const mock = await startMockProcess({ delayMs: 0, chunks: 20, chunkMs: 1 });
  const masterKey = "sk-bench-profile";
  const gw = values.plain
    ? await startNullWorker(mock.url, values.plain, true)
    : await startGateway("gateway", bundle, { LITELLM_MASTER_KEY: masterKey, BENCH_UPSTREAM: `${mock.url}/v1` }, true);
  const key = values["virtual-key"] ? await benchVirtualKey(gw.url, masterKey) : masterKey;
  const target: Target = { url: new URL(`${gw.url}/v1/chat/completions`), headers: { authorization: `Bearer ${key}` }, model: values.model! };
  const agent = newAgent(1);
  const warm = await sequential(target, agent, 2000);
  if (warm.some((s) => !s.ok)) throw new Error(`warm-up failed: ${warm.find((s) => !s.ok)?.error}`);

  const devtools = await inspector(gw.inspectorUrl!);
  await devtools.send("Profiler.enable");
  await devtools.send("Profiler.setSamplingInterval", { interval: 50 });
  await devtools.send("Profiler.start");
  const t0 = performance.now();
  let count = 0;
  if (values.stream) {
    for (let i = 0; i < N; i++, count++) await postStream(target, agent);
  } else if (connections === 1) {
    count = (await sequential(target, agent, N)).length;
  } else {
    count = (await closedLoop(target, connections, 10_000)).samples.length;
  }
  const elapsed = performance.now() - t0;
  const { profile } = await devtools.send<{ profile: Profile }>("Profiler.stop");
  devtools.close();
  agent.destroy();

  const name = `${values.plain ? values.plain.split("/").at(-2)! : values.bundle ? values.bundle.split("/").at(-2)! : values.config!.split("/").pop()!.replace(/\.ya?ml$/, "")}${values.stream ? "-stream" : ""}`;
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  console.log(`${count} requests in ${elapsed.toFixed(0)} ms (${((elapsed * 1000) / count).toFixed(0)} µs each, end to end, profiler on)`);
  console.log(summarise(profile, moduleMap(bundle.path), bundle.path.split("/").pop()!));
  console.log(`\nprofile written to bench/results/${name}.cpuprofile`);
  await gw.dispose();
  await mock.stop();
} finally {
  killChildren();
  rmSync(bundleDir, { recursive: true, force: true });
}
