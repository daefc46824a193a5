// What of a deployment's litellm_params may be shown (/model/info, /health, the admin UI): never a
// credential, header names without their values, api_base without its query string.
import type { LitellmParams } from "../schema/config";

/** litellm_params fields never shown to anyone (and sealed in D1 for stored models, as are extra_headers values). */
export const SECRET_PARAMS: ReadonlySet<string> = new Set(["api_key", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "vertex_credentials", "azure_ad_token"]);

export function publicParams(params: LitellmParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (SECRET_PARAMS.has(k)) continue;
    // Header names are useful to see; values (CF-Access-Client-Secret, ...) are not.
    out[k] = k === "extra_headers" && v ? Object.fromEntries(Object.keys(v).map((h) => [h, "[redacted]"])) : v;
  }
  if (typeof out.api_base === "string") out.api_base = out.api_base.split("?")[0];
  return out;
}
