// Credentials of models stored at runtime are sealed in D1 (AES-GCM under a key derived from the Worker
// secret LITELLM_SALT_KEY, src/lib/secret-box.ts): api_key, aws_*, vertex_credentials, azure_ad_token and
// each extra_headers value. A value naming a secret (`os.environ/NAME`) is not one itself: it stays as written
// and needs no salt. Each sealed value is bound to its model id and field, so it opens nowhere else.
import { GatewayError } from "../errors";
import { isSealed, open, seal } from "../lib/secret-box";
import type { Env } from "../env";
import { ENV_PREFIX } from "./env-refs";
import { SECRET_PARAMS } from "./public-params";

type Params = Record<string, unknown>;

/** LITELLM_SALT_KEY, when set. */
export const saltKey = (env: Env): string | undefined => (typeof env.LITELLM_SALT_KEY === "string" && env.LITELLM_SALT_KEY ? env.LITELLM_SALT_KEY : undefined);

const isCredential = (value: unknown) => value !== undefined && value !== null && !(typeof value === "string" && (value.startsWith(ENV_PREFIX) || isSealed(value)));

/** Every credential in `params` (the fields in SECRET_PARAMS, each extra_headers value): where, what, and how to replace it (undefined: remove). */
function credentials(params: Params): { path: string; value: unknown; set: (v: unknown) => void }[] {
  const out: { path: string; value: unknown; set: (v: unknown) => void }[] = [];
  const setter = (on: Params, key: string) => (v: unknown) => (v === undefined ? delete on[key] : (on[key] = v));
  for (const field of SECRET_PARAMS) {
    if (params[field] !== undefined) out.push({ path: field, value: params[field], set: setter(params, field) });
  }
  const headers = params.extra_headers;
  if (headers && typeof headers === "object") {
    const h = headers as Params;
    for (const name of Object.keys(h)) out.push({ path: `extra_headers.${name}`, value: h[name], set: setter(h, name) });
  }
  return out;
}

const copy = (params: Params): Params => ({ ...params, ...(params.extra_headers && typeof params.extra_headers === "object" ? { extra_headers: { ...(params.extra_headers as Params) } } : {}) });

/**
 * A copy of `params` with every credential written in clear sealed for the model `modelId`. Values already
 * sealed (kept from the stored row by an update) stay as they are. A credential without LITELLM_SALT_KEY is a
 * 400 naming it: nothing is stored in clear.
 */
export async function sealCredentials(params: Params, modelId: string, env: Env): Promise<Params> {
  const out = copy(params);
  const clear = credentials(out).filter((c) => isCredential(c.value));
  if (!clear.length) return out;
  const salt = saltKey(env);
  if (!salt) {
    throw new GatewayError(
      400,
      "bad_request",
      `LITELLM_SALT_KEY is not set: the credentials of stored models (${clear.map((c) => `litellm_params.${c.path}`).join(", ")}) are encrypted with a key derived from it, and are never stored in clear. Set it (\`wrangler secret put LITELLM_SALT_KEY\`, or in the shell / .dev.vars for npm start) and keep it: models stored under one salt cannot be opened with another. Or give the credential as os.environ/NAME.`,
      { param: `litellm_params.${clear[0].path}` },
    );
  }
  for (const c of clear) c.set(await seal(salt, JSON.stringify(c.value), `${modelId}/${c.path}`));
  return out;
}

/** A copy of `params` with its credentials opened; `unopened` names those that do not open with this env's LITELLM_SALT_KEY. */
export async function openCredentials(params: Params, modelId: string, env: Env): Promise<{ params: Params; unopened: string[] }> {
  const out = copy(params);
  const unopened: string[] = [];
  const salt = saltKey(env);
  for (const c of credentials(out)) {
    if (!isSealed(c.value)) continue;
    const text = salt ? await open(salt, c.value, `${modelId}/${c.path}`) : undefined;
    if (text === undefined) {
      unopened.push(`litellm_params.${c.path}`);
      c.set(undefined);
    } else c.set(JSON.parse(text));
  }
  return { params: out, unopened };
}
