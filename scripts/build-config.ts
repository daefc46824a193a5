// Validates config.yaml and compiles it to build/config.json, which the Worker bundles.
// Runs as wrangler's [build] command (so `wrangler dev` and `wrangler deploy` refuse a bad config)
// and from `npm start`. The config file is GATEWAY_CONFIG, else --config, else ./config.yaml.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, compileConfig, type CompiledConfig } from "../src/config/compile";
import { readConfigYaml, type ConfigYaml } from "../src/config/yaml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const COMPILED_PATH = resolve(ROOT, "build/config.json");

/** Reads, validates and writes the compiled config; prints why and exits 1 if the config is bad. */
export async function buildConfig(configPath: string): Promise<CompiledConfig> {
  let read: ConfigYaml;
  try {
    read = readConfigYaml(readFileSync(configPath, "utf8"), configPath);
  } catch (err) {
    fail(configPath, [(err as Error).message]);
  }
  let compiled: CompiledConfig;
  try {
    compiled = await compileConfig(read.raw, read.warnings);
  } catch (err) {
    if (err instanceof ConfigError) fail(configPath, err.issues);
    throw err;
  }
  // wrangler's [build] step re-runs this under `npm start`, which has already printed the warnings.
  if (!process.env.GATEWAY_BUILD_QUIET) for (const warning of compiled.warnings) console.warn(`[gateway] warning: ${warning}`);
  mkdirSync(dirname(COMPILED_PATH), { recursive: true });
  writeFileSync(COMPILED_PATH, JSON.stringify(compiled));
  return compiled;
}

function fail(configPath: string, issues: string[]): never {
  console.error(`[gateway] ${configPath} is not a valid config:\n  ${issues.join("\n  ")}`);
  process.exit(1);
}

export function configPathFromArgs(argv: string[]): string {
  const i = argv.indexOf("--config");
  return resolve(process.env.GATEWAY_CONFIG ?? (i >= 0 ? argv[i + 1] : undefined) ?? resolve(ROOT, "config.yaml"));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = configPathFromArgs(process.argv.slice(2));
  const compiled = await buildConfig(path);
  console.log(`[gateway] config ${path}: ${compiled.config.model_list.length} model entries -> build/config.json`);
}
