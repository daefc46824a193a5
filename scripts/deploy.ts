// `npm run deploy [-- --env <name>] [--secrets] [--dry-run] [--config <gateway yaml>] [any wrangler deploy flag]`
// From a logged-in Cloudflare account (or CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID) to a running gateway:
//   1. validates the config; refuses, before anything is uploaded, a missing master key or a secret the
//      config names (os.environ/NAME) that is neither on the Worker nor given with --secrets;
//   2. finds or creates the D1 database and applies its migrations remotely, before the new code serves;
//   3. `wrangler deploy` with the generated config (scripts/deploy-config.ts): KV made on the first deploy,
//      Durable Object migrations, the missing secrets uploaded with the version (--secrets);
//   4. prints the URL and ready-to-run curl lines.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parse } from "yaml";
import { takeFlag, takeSwitch } from "./args";
import { ROOT, buildConfig } from "./build-config";
import { GENERATED_CONFIG, planDeploy, readWranglerConfig, settle, writeGeneratedConfig, type DeployPlan } from "./deploy-config";
import { envReference, localValues, readDevVars } from "./local-env";
import { envReferences } from "../src/config/env-refs";
import { CloudflareError, connect } from "./cloudflare-api";
import { wrangler } from "./wrangler-cli";

const args = process.argv.slice(2);
const configPath = resolve(takeFlag(args, "--config") ?? process.env.GATEWAY_CONFIG ?? resolve(ROOT, "config.yaml"));
const env = takeFlag(args, "--env") ?? takeFlag(args, "-e");
const uploadSecrets = takeSwitch(args, "--secrets");
const dryRun = takeSwitch(args, "--dry-run");
const log = (line = "") => console.log(line && `[gateway] ${line}`);

function stop(message: string): never {
  console.error(`\n[gateway] NOT DEPLOYED: ${message}`);
  process.exit(1);
}

/** A failed Cloudflare API call stops the deploy with its message. */
function orStop<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((err: unknown) => (err instanceof CloudflareError ? stop(err.message) : Promise.reject(err)));
}

// --- 1. The config, and what it needs from the Worker. ---
const compiled = await buildConfig(configPath);
const gateway = compiled.config;
const plan = planDeploy(readWranglerConfig(), gateway, env);
const configArgs = ["--config", GENERATED_CONFIG, ...(env ? ["--env", env] : [])];
const envFlag = env ? ` --env ${env}` : "";

// Names the Worker must have as secrets: every os.environ/NAME (less those the config or [vars] provide),
// and LITELLM_MASTER_KEY when general_settings.master_key is unset (the Worker's fallback, src/config/runtime.ts).
const masterRef = gateway.general_settings.master_key;
const masterName = masterRef === undefined ? "LITELLM_MASTER_KEY" : envReference(masterRef);
if (masterRef !== undefined && masterName === undefined && !masterRef.startsWith("sk-")) stop("general_settings.master_key must start with 'sk-' (as in LiteLLM).");
const provided = new Set([...Object.keys(gateway.environment_variables), ...plan.vars]);
const required = [...new Set([...envReferences(parse(readFileSync(configPath, "utf8"))).map((ref) => ref.name), ...(masterName ? [masterName] : [])])].filter((n) => !provided.has(n)).sort();
const devVars = readDevVars(env);

printPlan(plan);
if (dryRun) {
  settle(plan, { d1: new Map(), kv: new Map(), vpc: new Map(plan.unboundVpc.map((b) => [b, "<VPC service named like the binding>"])), requiredSecrets: required });
  writeGeneratedConfig(plan.config);
  const local = localValues(required, devVars.vars);
  log(`secrets the Worker must have: ${required.join(", ") || "none"}`);
  log(`  with a value in your shell or ${relative(ROOT, devVars.path)} (what --secrets would upload if the Worker lacks it): ${[...local.keys()].join(", ") || "none"}`);
  log("dry run: nothing is created or uploaded. wrangler's own dry run (bundle and bindings) follows.\n");
  const result = await wrangler(["deploy", "--dry-run", ...configArgs, ...args], { inherit: true, env: buildEnv() });
  process.exit(result.code);
}

// --- 2. What the account already has (read only). ---
const api = await orStop(connect((plan.section.account_id ?? plan.config.account_id) as string | undefined));
const [onWorker, bound, d1ByName, kvByTitle, vpcServices] = await orStop(
  Promise.all([
    api.secretNames(plan.workerName),
    api.workerBindings(plan.workerName),
    api.d1Databases(),
    api.kvNamespaces(),
    plan.unboundVpc.length ? api.vpcServices() : Promise.resolve(new Map<string, string>()),
  ]),
);
const boundId = (type: string, binding: string) => bound?.find((b) => b.type === type && b.name === binding);
// wrangler uses the same account as these calls.
const wranglerEnv = { CLOUDFLARE_ACCOUNT_ID: api.accountId };

// --- Refusals: nothing has been created or uploaded yet. ---
const missing = required.filter((n) => !onWorker?.has(n));
const local = localValues(missing, devVars.vars);
const where = `your shell or ${relative(ROOT, devVars.path)}`;
if (masterName && missing.includes(masterName) && !local.has(masterName)) {
  stop(
    `no master key. ${masterRef === undefined ? "general_settings.master_key is unset and " : ""}${masterName} is neither a secret of the Worker ` +
      `${plan.workerName} nor set in ${where}: the gateway would accept every request from the internet.\n` +
      `  Set it (it must start with sk-): \`export ${masterName}=sk-$(openssl rand -hex 24)\` and run \`npm run deploy -- --secrets${envFlag}\`, ` +
      `or \`npx wrangler secret put ${masterName} --name ${plan.workerName}\`.`,
  );
}
const noValue = missing.filter((n) => !local.has(n));
if (noValue.length) {
  stop(
    `the config names ${noValue.map((n) => `os.environ/${n}`).join(", ")}, which ${noValue.length > 1 ? "are" : "is"} neither a secret of the Worker ` +
      `${plan.workerName} nor set in ${where}.\n  Set ${noValue.length > 1 ? "them" : "it"} there and run \`npm run deploy -- --secrets${envFlag}\`, ` +
      `or \`npx wrangler secret put <NAME> --name ${plan.workerName}\` for each.`,
  );
}
if (missing.length && !uploadSecrets) {
  stop(
    `the Worker ${plan.workerName} lacks ${missing.length > 1 ? "these secrets" : "this secret"}: ${missing.join(", ")}. ` +
      `${where} has ${missing.length > 1 ? "them" : "it"}: run \`npm run deploy -- --secrets${envFlag}\` to upload ${missing.length > 1 ? "them" : "it"} with this deploy.`,
  );
}
const masterValue = masterName ? local.get(masterName) : undefined;
if (masterValue !== undefined && !masterValue.startsWith("sk-")) stop(`${masterName} must start with 'sk-' (as in LiteLLM).`);
const missingVpc = plan.unboundVpc.filter((b) => !findVpc(b));
if (missingVpc.length) {
  stop(
    `the config routes through vpc_binding ${missingVpc.join(", ")}, but the account has no VPC service named like ${missingVpc.length > 1 ? "them" : "it"} ` +
      `(case-insensitive).\n  Create one: \`npx wrangler vpc service create ${missingVpc[0].toLowerCase()} --type http --tunnel-id <TUNNEL_ID> --ipv4 127.0.0.1 --http-port 11434\`, ` +
      `or bind it yourself in wrangler.toml ([[vpc_services]] binding = "${missingVpc[0]}").`,
  );
}

// --- 3. D1 and KV: the ids the Worker is bound to (as wrangler inherits them), else the ones named so on the
// account (wrangler's names for what it provisions); a D1 database not there yet is made now, so that it can
// be migrated before the new code serves. ---
const d1Ids = new Map<string, string>();
for (const db of plan.d1) {
  const id = db.database_id ?? (db.named ? undefined : boundId("d1", db.binding)?.id) ?? d1ByName.get(db.database_name);
  if (!id) log(`creating D1 database ${db.database_name}`);
  d1Ids.set(db.binding, id ?? (await orStop(api.createD1(db.database_name))));
}
const kvIds = new Map<string, string>();
for (const kv of plan.kv) {
  const id = kv.id ?? boundId("kv_namespace", kv.binding)?.namespace_id ?? kvByTitle.get(kv.title);
  if (id) kvIds.set(kv.binding, id);
}
settle(plan, { d1: d1Ids, kv: kvIds, vpc: new Map(plan.unboundVpc.map((b) => [b, findVpc(b)!])), requiredSecrets: required });
writeGeneratedConfig(plan.config);
for (const db of plan.d1) {
  const dir = resolve(ROOT, db.migrations_dir ?? "migrations");
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith(".sql"))) continue;
  log(`applying D1 migrations to ${db.database_name} (remote)`);
  // CI=true: wrangler's own confirmation is skipped (the user asked for the deploy).
  const migrate = await wrangler(["d1", "migrations", "apply", db.binding, "--remote", ...configArgs], { inherit: true, env: { ...wranglerEnv, CI: "true" } });
  if (migrate.code !== 0) stop(`applying the D1 migrations of ${db.database_name} failed; the Worker was not updated.`);
}

// --- 4. The deploy, with the missing secrets in the same upload. ---
const scratch = mkdtempSync(join(tmpdir(), "gateway-deploy-"));
try {
  const deployArgs = ["deploy", ...configArgs, ...args];
  if (missing.length) {
    const file = join(scratch, "secrets.json");
    writeFileSync(file, JSON.stringify(Object.fromEntries(missing.map((n) => [n, local.get(n)!]))), { mode: 0o600 });
    deployArgs.push("--secrets-file", file);
    log(`uploading secrets with this version: ${missing.join(", ")} (values from ${where}; never printed)`);
  }
  const outputFile = join(scratch, "wrangler-output.ndjson");
  const deployed = await wrangler(deployArgs, { inherit: true, env: { ...wranglerEnv, ...buildEnv(), WRANGLER_OUTPUT_FILE_PATH: outputFile } });
  if (deployed.code !== 0) stop("wrangler deploy failed (its message is above).");
  printDone(existsSync(outputFile) ? readFileSync(outputFile, "utf8") : "");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------

function buildEnv(): Record<string, string> {
  // wrangler's [build] step compiles the same config file; this script already printed its warnings.
  return { GATEWAY_CONFIG: configPath, GATEWAY_BUILD_QUIET: "1" };
}

function findVpc(binding: string): string | undefined {
  for (const [name, id] of vpcServices) if (name.toLowerCase() === binding.toLowerCase()) return id;
  return undefined;
}

function printPlan(p: DeployPlan): void {
  const dos = p.section.durable_objects?.bindings ?? [];
  const tags = (p.section.migrations ?? p.config.migrations ?? []).map((m) => m.tag);
  log(`deploying ${relative(ROOT, configPath) || configPath} (${gateway.model_list.length} model entries) as Worker ${p.workerName}${env ? ` (env ${env})` : ""}`);
  for (const db of p.d1) log(`  D1 ${db.binding}: ${db.database_id ?? db.database_name}${db.database_id ? "" : " (created on the first deploy, reused after)"}; migrations applied remotely first`);
  for (const kv of p.kv) log(`  KV ${kv.binding}: ${kv.id ?? `${kv.title} (created on the first deploy, reused after)`}`);
  if (dos.length) log(`  Durable Objects: ${dos.map((d) => `${d.name} (${d.class_name})`).join(", ")}; migrations ${tags.join(", ") || "none"} (wrangler applies the new ones)`);
  if (p.workersAi) log(`  Workers AI: binding ${p.section.ai?.binding} (a workers_ai/ model is configured)`);
  for (const b of p.unboundVpc) log(`  VPC service binding ${b}: the account's VPC service named ${b.toLowerCase()}`);
  if (p.copiedToEnv.length) log(`  from the top level of wrangler.toml into env ${env}: ${p.copiedToEnv.join(", ")} (each environment gets its own D1 and KV)`);
}

function printDone(ndjson: string): void {
  const entry = ndjson.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; targets?: string[] }).find((e) => e.type === "deploy");
  const targets = entry?.targets ?? [];
  // A custom domain first, else workers.dev, else a route ("gw.example.com/*").
  const pick = targets.find((t) => t.includes("(custom domain")) ?? targets.find((t) => t.includes(".workers.dev")) ?? targets[0];
  if (!pick) return log("deployed (no URL: the Worker has neither workers.dev nor a route; see `routes` in README.md).");
  const host = pick.split(" ")[0].replace(/\/\*?$/, "");
  const url = host.startsWith("http") ? host : `https://${host}`;
  const model = gateway.model_list.find((m) => !m.model_name.includes("*"))?.model_name ?? "<model_name>";
  const key = `$${masterName ?? "MASTER_KEY"}`;
  console.log(`
[gateway] deployed: ${url}
[gateway] try it (with the master key in ${key}):

  curl ${url}/v1/chat/completions -H "Authorization: Bearer ${key}" -H 'content-type: application/json' \\
    -d '{"model":"${model}","messages":[{"role":"user","content":"hi"}]}'

[gateway] give each agent its own key:

  curl ${url}/key/generate -H "Authorization: Bearer ${key}" -H 'content-type: application/json' \\
    -d '{"key_alias":"agent-1","max_budget":10,"budget_duration":"30d"}'
`);
}
