// Where the gateway's secrets come from on this machine, for `npm start` (passed to wrangler dev) and
// `npm run deploy` (checked against the Worker, uploaded with --secrets): .dev.vars and the shell.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ROOT } from "./build-config";
import { ENV_PREFIX } from "../src/config/env-refs";

/** Parses a .env/.dev.vars file: NAME=value lines, optional `export`, optional quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}

/** The NAME of an `os.environ/NAME` value, else undefined. */
export function envReference(value: string | undefined): string | undefined {
  return value?.startsWith(ENV_PREFIX) ? value.slice(ENV_PREFIX.length) : undefined;
}

// Provider defaults read by adapters when litellm_params leaves them out (OPENAI_API_KEY, AZURE_API_VERSION, ...),
// the gateway's own settings LiteLLM reads from the environment (LITELLM_SALT_KEY, UI_*, STORE_MODEL_IN_DB),
// and the callbacks' and alerting's variables (LANGFUSE_*, OTEL_*, DD_*, SLACK_WEBHOOK_URL, ...).
export const PROVIDER_ENV =
  /^(LITELLM_[A-Z_]+|UI_USERNAME|UI_PASSWORD|STORE_MODEL_IN_DB|[A-Z0-9_]+_API_(KEY|BASE|VERSION|TOKEN)|ANTHROPIC_BASE_URL|AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION_NAME|REGION|DEFAULT_REGION|BEARER_TOKEN_BEDROCK)|AZURE_[A-Z_]+|CF_ACCESS_[A-Z_]+|CLOUDFLARE_ACCOUNT_ID|LANGFUSE_[A-Z_]+|OTEL_[A-Z_]+|DD_[A-Z_]+|GENERIC_LOGGER_[A-Z_]+|SLACK_WEBHOOK_URL|ALERTING_WEBHOOK_URL|OBSERVABILITY_FLUSH_MS)$/;

/** The values in .dev.vars (`.dev.vars.<env>` for a wrangler environment, as wrangler reads them), if any. */
export function readDevVars(env?: string): { path: string; vars: Record<string, string> } {
  const envPath = env ? resolve(ROOT, `.dev.vars.${env}`) : undefined;
  const path = envPath && existsSync(envPath) ? envPath : resolve(ROOT, ".dev.vars");
  return { path, vars: existsSync(path) ? parseDotEnv(readFileSync(path, "utf8")) : {} };
}

/** The local value of each wanted name: the shell's wins over .dev.vars. */
export function localValues(names: Iterable<string>, devVars: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names) {
    const value = process.env[name] ?? devVars[name];
    if (value !== undefined && value !== "") out.set(name, value);
  }
  return out;
}
