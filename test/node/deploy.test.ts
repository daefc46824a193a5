// The deploy path, offline: `npm run deploy -- --dry-run` says what it would do and bundles the Worker with
// the config baked in; plain `wrangler deploy` refuses a bad config with a message naming the bad field.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ROOT } from "./start";

const wrangler = resolve(ROOT, "node_modules/.bin/wrangler");

describe("deploy --dry-run", () => {
  it("npm run deploy -- --dry-run: prints the plan and bundles the Worker with the compiled config, offline", () => {
    const out = mkdtempSync(join(tmpdir(), "gw-bundle-"));
    // No credentials and an API address nothing listens on: a dry run must not need either.
    const env = { ...process.env, GATEWAY_CONFIG: resolve(ROOT, "config.yaml"), CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9/client/v4", CLOUDFLARE_API_TOKEN: "" };
    const plan = execFileSync("npm", ["run", "deploy", "--", "--dry-run", "--outdir", out], { cwd: ROOT, encoding: "utf8", env });
    expect(plan).toContain("as Worker llm-gateway");
    expect(plan).toMatch(/D1 DB: llm-gateway-db \(created on the first deploy, reused after\); migrations applied remotely first/);
    expect(plan).toContain("secrets the Worker must have: LITELLM_MASTER_KEY");
    expect(plan).toContain("--dry-run: exiting now.");
    // The admin UI goes up as static assets next to the Worker, not inside its bundle.
    expect(plan).toMatch(/Read \d+ files from the assets directory .*build\/public/);
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
