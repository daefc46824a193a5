// Runs the project's wrangler (node_modules/.bin, pinned) from the project root.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { ROOT } from "./build-config";

const WRANGLER = resolve(ROOT, "node_modules/.bin/wrangler");

export interface WranglerResult {
  code: number;
  output: string; // stdout + stderr, in order
  stdout: string;
}

/** Runs wrangler, capturing its output; with `inherit` wrangler owns the terminal (prompts, colours) instead. */
export function wrangler(args: string[], opts: { inherit?: boolean; env?: Record<string, string> } = {}): Promise<WranglerResult> {
  return new Promise((done, fail) => {
    const child = spawn(WRANGLER, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: opts.inherit ? "inherit" : ["inherit", "pipe", "pipe"] });
    let output = "";
    let stdout = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d;
      stdout += d;
    });
    child.stderr?.on("data", (d: Buffer) => (output += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, output, stdout }));
  });
}
