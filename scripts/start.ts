// `npm start [-- --config <path>] [--port <n>] [--persist-to <dir>] [--host <ip>] [any wrangler dev flag]`
// Runs the gateway locally like `litellm --config`: validates the config, applies D1 migrations to the
// local database, then runs `wrangler dev` with local D1, KV and Durable Objects. Values referenced as
// `os.environ/NAME` (and the usual provider variables) are taken from this process's environment or .dev.vars.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ROOT, buildConfig } from "./build-config";
import { envReferences, usedEnvReferences } from "../src/config/env-refs";

function takeFlag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) {
    console.error(`[gateway] ${name} needs a value`);
    process.exit(2);
  }
  args.splice(i, 2);
  return value;
}

const args = process.argv.slice(2);
const configPath = resolve(takeFlag(args, "--config") ?? process.env.GATEWAY_CONFIG ?? resolve(ROOT, "config.yaml"));
const port = takeFlag(args, "--port") ?? process.env.PORT ?? "4000";
const host = takeFlag(args, "--host") ?? "127.0.0.1";
const persistTo = resolve(takeFlag(args, "--persist-to") ?? resolve(ROOT, ".wrangler/state"));
const wrangler = resolve(ROOT, "node_modules/.bin/wrangler");

const compiled = await buildConfig(configPath);

// --- Secrets for the Worker: .dev.vars, plus what the config references, from this process's env. ---
function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}


// Provider defaults read by adapters when litellm_params leaves them out (OPENAI_API_KEY, AZURE_API_VERSION, ...).
const PROVIDER_ENV =
  /^(LITELLM_[A-Z_]+|[A-Z0-9_]+_API_(KEY|BASE|VERSION|TOKEN)|ANTHROPIC_BASE_URL|AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION_NAME|REGION|DEFAULT_REGION|BEARER_TOKEN_BEDROCK)|AZURE_[A-Z_]+|CF_ACCESS_[A-Z_]+|CLOUDFLARE_ACCOUNT_ID)$/;

const devVarsPath = resolve(ROOT, ".dev.vars");
const vars: Record<string, string> = existsSync(devVarsPath) ? parseDotEnv(readFileSync(devVarsPath, "utf8")) : {};
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
const masterName = masterRef?.startsWith("os.environ/") ? masterRef.slice("os.environ/".length) : undefined;
const masterKey = masterName ? (vars[masterName] ?? compiled.config.environment_variables[masterName]) : (masterRef ?? vars.LITELLM_MASTER_KEY);
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
