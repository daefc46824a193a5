// `npm start [-- --config <path>] [--port <n>] [--persist-to <dir>] [--host <ip>] [any wrangler dev flag]`
// Runs the gateway locally like `litellm --config`: validates the config, applies D1 migrations to the
// local database, then runs `wrangler dev` with local D1, KV and Durable Objects. Values referenced as
// `os.environ/NAME` (and the usual provider variables) are taken from this process's environment or .dev.vars.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { takeFlag } from "./args";
import { ROOT, buildConfig } from "./build-config";
import { PROVIDER_ENV, envReference, readDevVars } from "./local-env";
import { envReferences, usedEnvReferences } from "../src/config/env-refs";

const args = process.argv.slice(2);
const configPath = resolve(takeFlag(args, "--config") ?? process.env.GATEWAY_CONFIG ?? resolve(ROOT, "config.yaml"));
const port = takeFlag(args, "--port") ?? process.env.PORT ?? "4000";
const host = takeFlag(args, "--host") ?? "127.0.0.1";
const persistTo = resolve(takeFlag(args, "--persist-to") ?? resolve(ROOT, ".wrangler/state"));
const wrangler = resolve(ROOT, "node_modules/.bin/wrangler");

const compiled = await buildConfig(configPath);

// --- Secrets for the Worker: .dev.vars, plus what the config references, from this process's env. ---
const vars: Record<string, string> = readDevVars().vars;
const references = envReferences(compiled.config);
const wanted = new Set(references.map((ref) => ref.name));
for (const [name, value] of Object.entries(process.env)) {
  if (value !== undefined && (wanted.has(name) || PROVIDER_ENV.test(name))) vars[name] = value;
}
// Unset names: the deployments needing them will fail with an error naming them (never another credential).
for (const ref of usedEnvReferences(compiled.config, compiled.ignoredKeys)) {
  if (vars[ref.name] === undefined && compiled.config.environment_variables[ref.name] === undefined) {
    console.warn(`[gateway] warning: ${ref.path} is os.environ/${ref.name}, which is not set (export it before npm start, or put it in .dev.vars)`);
  }
}
const envFile = resolve(ROOT, "build/dev.env");
writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n", { mode: 0o600 });
chmodSync(envFile, 0o600);

// --- Say loudly when the gateway is open. ---
const masterRef = compiled.config.general_settings.master_key;
const masterRefName = envReference(masterRef);
// As the Worker reads it (src/config/runtime.ts): the configured key (never another variable in its place), else LITELLM_MASTER_KEY.
const masterKey = masterRefName ? (vars[masterRefName] ?? compiled.config.environment_variables[masterRefName]) : (masterRef ?? vars.LITELLM_MASTER_KEY);
if (!masterKey) {
  console.warn(
    "\n[gateway] ************************************************************************\n" +
      "[gateway] NO MASTER KEY: every request is accepted without a key (local use only).\n" +
      "[gateway] Set general_settings.master_key or LITELLM_MASTER_KEY (it must start with sk-).\n" +
      "[gateway] ************************************************************************\n",
  );
} else if (!masterKey.startsWith("sk-")) {
  console.error("[gateway] the master key must start with 'sk-' (as in LiteLLM)");
  process.exit(1);
}

// --- Local D1: apply migrations first. ---
const hasMigrations = existsSync(resolve(ROOT, "migrations")) && readdirSync(resolve(ROOT, "migrations")).some((f) => f.endsWith(".sql"));
if (hasMigrations) {
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CI: "true" }, // CI=true: no interactive confirmation
  });
  if (migrate.status !== 0) {
    console.error("[gateway] applying D1 migrations failed");
    process.exit(migrate.status ?? 1);
  }
}

console.log(`[gateway] starting on http://${host}:${port} (config: ${configPath}, state: ${persistTo})`);
const dev = spawn(
  wrangler,
  ["dev", "--port", port, "--ip", host, "--persist-to", persistTo, "--env-file", envFile, "--show-interactive-dev-session=false", ...args],
  { cwd: ROOT, stdio: "inherit", env: { ...process.env, GATEWAY_CONFIG: configPath, GATEWAY_BUILD_QUIET: "1" } },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
