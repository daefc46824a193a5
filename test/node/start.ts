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
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `npm start -- --config <yaml> --port <free> --persist-to <tmp> [...extraArgs]` and waits for /health/liveliness. */
export async function startGateway(configYaml: string, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), "gw-e2e-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, configYaml);
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
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
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
