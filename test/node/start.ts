// Runs `npm start` as a user would, on a free port with its own state dir, and waits until it answers.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on("error", reject);
  });
}

export interface RunningGateway {
  url: string;
  /** Its config and --persist-to state (pass it as `dir` to start again on the same state). */
  dir: string;
  output: () => string;
  /** SIGTERM to `npm start`'s process group (as a terminal or a service manager sends it); resolves when it has exited. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A directory of an earlier run, to start again on its state (default: a new temporary one). */
  dir?: string;
  /** More arguments for `npm start`. */
  extraArgs?: string[];
  /** Files written beside the config (name -> text), e.g. a guardrail's word list. */
  files?: Record<string, string>;
}

/**
 * Starts `npm start -- --config <yaml> --port <free> --persist-to <dir>/state [...extraArgs]` and waits
 * for /health/liveliness.
 */
export async function startGateway(configYaml: string, env: Record<string, string> = {}, options: StartOptions = {}): Promise<RunningGateway> {
  const { dir = mkdtempSync(join(tmpdir(), "gw-e2e-")), extraArgs = [], files = {} } = options;
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, configYaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const port = await freePort();
  let output = "";
  const child: ChildProcess = spawn("npm", ["start", "--", "--config", configPath, "--port", String(port), "--persist-to", join(dir, "state"), ...extraArgs], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true, // its own process group, so stop() ends wrangler and workerd too
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/health/liveliness`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`npm start did not come up in 120s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    dir,
    output: () => output,
    async stop() {
      // wrangler runs in a process group of its own, which npm start stops once it has drained the
      // Worker (up to ~15 s): wait until the port is closed, and only then, if ever, force it.
      const wrangler = Number(/wrangler runs as process group (\d+)/.exec(output)?.[1]);
      if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await fetch(`${url}/health/liveliness`).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 100));
      for (const group of [child.exitCode === null ? child.pid : undefined, Date.now() >= deadline ? wrangler : undefined]) {
        if (group) process.kill(-group, "SIGKILL");
      }
    },
  };
}

/** An admin call (GET without a body, POST with one) with `masterKey`, its JSON answer. */
export async function adminCall(gw: RunningGateway, masterKey: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${gw.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}
