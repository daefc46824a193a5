// The deploy path, offline: `wrangler deploy --dry-run` bundles the Worker with the config baked in,
// and refuses a bad config with a message naming the bad field.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ROOT } from "./start";

const wrangler = resolve(ROOT, "node_modules/.bin/wrangler");

describe("wrangler deploy --dry-run", () => {
  it("bundles the Worker with the compiled config", () => {
    const out = mkdtempSync(join(tmpdir(), "gw-bundle-"));
    const log = execFileSync(wrangler, ["deploy", "--dry-run", "--outdir", out], { cwd: ROOT, stdio: "pipe", encoding: "utf8", env: { ...process.env, GATEWAY_CONFIG: resolve(ROOT, "config.yaml") } });
    // The admin UI goes up as static assets next to the Worker, not inside its bundle.
    expect(log).toMatch(/Read \d+ files from the assets directory .*build\/public/);
    const bundle = readdirSync(out).find((f) => f.endsWith(".js"))!;
    const code = readFileSync(join(out, bundle));
    expect(code.toString()).toContain("Hello from the gateway!"); // the default config's mock_response, baked in
    expect(code.toString()).not.toContain("uPlot"); // the UI's code is not in the Worker
    const gzipKiB = gzipSync(code).byteLength / 1024;
    console.log(`[bundle] ${bundle}: ${(code.byteLength / 1024).toFixed(1)} KiB, ${gzipKiB.toFixed(1)} KiB gzipped`);
    expect(gzipKiB).toBeLessThan(1024); // Workers free plan limit: 3 MiB gzipped; stay far below
  });

  it("stops on a bad config and names the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-bad-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "model_list:\n  - model_name: x\n    litellm_params:\n      model: nosuchprovider/foo\n      rpm: -3\n");
    const run = spawnSync(wrangler, ["deploy", "--dry-run", "--outdir", join(dir, "out")], { cwd: ROOT, encoding: "utf8", env: { ...process.env, GATEWAY_CONFIG: bad } });
    expect(run.status).not.toBe(0);
    const output = run.stdout + run.stderr;
    expect(output).toContain("model_list[0].litellm_params.rpm");
  });
});
