// Google service-account auth for Vertex AI, on WebCrypto: a JWT signed RS256 with the account's
// private key is exchanged at its token_uri for an OAuth access token (Google's "JWT bearer" grant),
// which is kept per isolate until shortly before it expires. Concurrent calls share one exchange.
import { GatewayError, redactSecrets } from "../../errors";
import { messageOf } from "../shared/errors";

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";
const LIFETIME_S = 3600;
/** A token is renewed this long before its expiry. */
const MARGIN_MS = 5 * 60_000;
const EXCHANGE_TIMEOUT_MS = 30_000;

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
  project_id?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Per account: the last token, and the exchange under way (every caller waits for the same one). */
const accounts = new Map<string, { token?: CachedToken; pending?: Promise<CachedToken> }>();
const keys = new Map<string, Promise<CryptoKey>>();

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const b64urlJson = (value: object) => b64url(new TextEncoder().encode(JSON.stringify(value)));

/** A PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") as a WebCrypto signing key, imported once per isolate. */
function signingKey(pem: string): Promise<CryptoKey> {
  let key = keys.get(pem);
  if (!key) {
    const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
    const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
    key.catch(() => keys.delete(pem));
    keys.set(pem, key);
  }
  return key;
}

/** The signed assertion Google's token endpoint takes. */
export async function signedJwt(account: ServiceAccount, nowS: number): Promise<string> {
  const header = { alg: "RS256", typ: "JWT", ...(account.private_key_id ? { kid: account.private_key_id } : {}) };
  const claims = { iss: account.client_email, scope: SCOPE, aud: account.token_uri ?? DEFAULT_TOKEN_URI, iat: nowS, exp: nowS + LIFETIME_S };
  const unsigned = `${b64urlJson(header)}.${b64urlJson(claims)}`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", await signingKey(account.private_key), new TextEncoder().encode(unsigned));
  return `${unsigned}.${b64url(new Uint8Array(signature))}`;
}

async function exchange(account: ServiceAccount): Promise<CachedToken> {
  const now = Date.now();
  const assertion = await signedJwt(account, Math.floor(now / 1000));
  const uri = account.token_uri ?? DEFAULT_TOKEN_URI;
  const fail = (status: number, why: string) =>
    new GatewayError(status === 429 || status >= 500 ? status : 401, status === 429 ? "rate_limit" : status >= 500 ? "server" : "auth", `vertex_ai error: could not get an access token for ${account.client_email}: ${redactSecrets(why)}`, { upstream: true });
  let res: Response;
  try {
    res = await fetch(uri, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
      signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
    });
  } catch (err) {
    throw fail(502, `${uri} unreachable (${(err as Error).message})`);
  }
  const body = (await res.json().catch(() => undefined)) as { access_token?: string; expires_in?: number; error_description?: string } | undefined;
  if (!res.ok || !body?.access_token) throw fail(res.ok ? 502 : res.status, body?.error_description ?? messageOf(body) ?? `HTTP ${res.status}`);
  return { token: body.access_token, expiresAt: now + (body.expires_in ?? LIFETIME_S) * 1000 };
}

/** A valid access token for the account: the cached one, else a new exchange (one at a time per account). */
export async function accessToken(account: ServiceAccount): Promise<string> {
  const id = `${account.client_email}|${account.token_uri ?? DEFAULT_TOKEN_URI}|${account.private_key_id ?? ""}`;
  let entry = accounts.get(id);
  if (!entry) accounts.set(id, (entry = {}));
  if (entry.token && entry.token.expiresAt - MARGIN_MS > Date.now()) return entry.token.token;
  const state = entry;
  state.pending ??= exchange(account)
    .then((token) => (state.token = token))
    .finally(() => (state.pending = undefined));
  return (await state.pending).token;
}
