// The wrangler config a deploy uses, generated from the user's wrangler.toml and the gateway config, so
// nobody edits wrangler.toml by hand for what the config already says: Workers AI when a workers_ai/
// model is present, a VPC binding per `litellm_params.vpc_binding`, the bindings a wrangler environment
// needs (wrangler does not inherit them), the D1/KV ids found on the account, and the secrets every
// version must carry. Written next to wrangler.toml so every relative path in it keeps its meaning.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import type { CompiledConfig } from "../src/config/compile";
import { ROOT } from "./build-config";

// One file per deploy process (two deploys at once must not share it), removed when the process ends.
export const GENERATED_CONFIG = resolve(ROOT, `wrangler.deploy.${process.pid}.jsonc`);

type Section = Record<string, unknown> & {
  name?: string;
  d1_databases?: D1Binding[];
  kv_namespaces?: KvBinding[];
  durable_objects?: { bindings?: { name: string; class_name: string }[] };
  migrations?: { tag: string }[];
  vars?: Record<string, unknown>;
  ai?: { binding: string };
  vpc_services?: { binding: string; service_id: string }[];
  services?: { binding: string }[];
  secrets?: { required?: string[] };
  routes?: unknown[];
};
export type WranglerConfig = Section & { env?: Record<string, Section> };
export interface D1Binding { binding: string; database_name?: string; database_id?: string; preview_database_id?: string; migrations_dir?: string }
export interface KvBinding { binding: string; id?: string; preview_id?: string }

// Bindings wrangler does not inherit into [env.X]: copied from the top level when the environment has none,
// without resource ids, so each environment gets its own D1 and KV.
const PER_ENVIRONMENT = ["d1_databases", "kv_namespaces", "durable_objects", "vars", "ai", "vpc_services", "services"] as const;

export function readWranglerConfig(path = resolve(ROOT, "wrangler.toml")): WranglerConfig {
  return parseToml(readFileSync(path, "utf8")) as WranglerConfig;
}

/** wrangler's name for a resource it provisions (autoProvisionedResourceName in wrangler 4.156). */
export function provisionedName(workerName: string, binding: string): string {
  return `${workerName}-${binding.toLowerCase().replaceAll("_", "-")}`;
}

export interface DeployPlan {
  config: WranglerConfig; // the generated config
  section: Section; // the part of it that `--env` selects (the top level without one)
  workerName: string;
  /** Each D1 database by binding, with the name it has (or will get) on the account; `named`: wrangler.toml names it. */
  d1: (D1Binding & { database_name: string; named: boolean })[];
  /** Each KV namespace by binding, with its title on the account. */
  kv: (KvBinding & { title: string })[];
  /** Names set as [vars]: plain values the Worker has without any secret. */
  vars: Set<string>;
  /** vpc_binding names in the config that the wrangler config does not bind yet. */
  unboundVpc: string[];
  copiedToEnv: string[];
  workersAi: boolean;
}

export function planDeploy(user: WranglerConfig, gateway: CompiledConfig["config"], env: string | undefined): DeployPlan {
  const config = structuredClone(user);
  let section: Section = config;
  const copiedToEnv: string[] = [];
  if (env) {
    config.env ??= {};
    section = config.env[env] ??= {};
    for (const key of PER_ENVIRONMENT) {
      if (section[key] !== undefined || config[key] === undefined) continue;
      (section as Record<string, unknown>)[key] = structuredClone(config[key]);
      copiedToEnv.push(key);
    }
    if (copiedToEnv.includes("d1_databases")) section.d1_databases = section.d1_databases!.map(({ database_id: _id, preview_database_id: _preview, database_name: _name, ...rest }) => rest);
    if (copiedToEnv.includes("kv_namespaces")) section.kv_namespaces = section.kv_namespaces!.map(({ id: _id, preview_id: _preview, ...rest }) => rest);
  }
  // wrangler names an environment's Worker <name>-<env> unless the environment names it.
  const workerName = (env && user.env?.[env]?.name) || (env ? `${config.name}-${env}` : config.name);
  if (!workerName) throw new Error("wrangler.toml has no `name`");

  const models = gateway.model_list.map((m) => m.litellm_params);
  const workersAi = models.some((p) => /^(workers_ai|cloudflare)\//.test(p.model));
  if (workersAi && !section.ai) section.ai = { binding: "AI" };
  const bound = new Set([...(section.vpc_services ?? []), ...(section.services ?? [])].map((b) => b.binding));
  const unboundVpc = [...new Set(models.flatMap((p) => (p.vpc_binding && !bound.has(p.vpc_binding) ? [p.vpc_binding] : [])))];

  return {
    config,
    section,
    workerName,
    d1: (section.d1_databases ?? []).map((b) => ({ ...b, database_name: b.database_name ?? provisionedName(workerName, b.binding), named: b.database_name !== undefined })),
    kv: (section.kv_namespaces ?? []).map((b) => ({ ...b, title: provisionedName(workerName, b.binding) })),
    vars: new Set(Object.keys(section.vars ?? {})),
    unboundVpc,
    copiedToEnv,
    workersAi,
  };
}

/** Records what the account lookups found: D1 and KV ids by binding, VPC service ids, the secrets each version must carry. */
export function settle(plan: DeployPlan, found: { d1: Map<string, string>; kv: Map<string, string>; vpc: Map<string, string>; requiredSecrets: string[] }): void {
  const { section } = plan;
  section.d1_databases = section.d1_databases?.map((b) => {
    const id = found.d1.get(b.binding);
    return id ? { ...b, database_name: plan.d1.find((d) => d.binding === b.binding)!.database_name, database_id: id } : b;
  });
  // A KV namespace not found is left to wrangler, which makes it (titled as plan.kv says) on this deploy.
  section.kv_namespaces = section.kv_namespaces?.map((b) => (found.kv.has(b.binding) ? { ...b, id: found.kv.get(b.binding) } : b));
  for (const [binding, serviceId] of found.vpc) (section.vpc_services ??= []).push({ binding, service_id: serviceId });
  // wrangler sends each required secret as an "inherit" binding: the API refuses a version that lacks one.
  if (found.requiredSecrets.length) section.secrets = { required: [...new Set([...(section.secrets?.required ?? []), ...found.requiredSecrets])] };
}

export function writeGeneratedConfig(config: WranglerConfig): string {
  if (!existsSync(GENERATED_CONFIG)) process.on("exit", () => rmSync(GENERATED_CONFIG, { force: true }));
  const header = "// Generated by `npm run deploy` from wrangler.toml and the gateway config (scripts/deploy-config.ts). Edit those, not this.\n";
  writeFileSync(GENERATED_CONFIG, header + JSON.stringify(config, null, 2) + "\n");
  return GENERATED_CONFIG;
}
