// Credentials of MCP servers added at runtime are stored encrypted in D1: AES-GCM (WebCrypto) under a
// key derived (HKDF-SHA-256) from the Worker secret LITELLM_SALT_KEY, else the master key (as LiteLLM
// does). Changing that secret makes stored credentials unreadable: re-add the servers.
import type { Env } from "../env";
import { GatewayError } from "../errors";

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** The secret credentials are sealed under, or undefined when the gateway has neither. */
export function sealingSecret(env: Env, masterKey: string | undefined): string | undefined {
  const salt = env.LITELLM_SALT_KEY;
  return typeof salt === "string" && salt ? salt : masterKey;
}

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("edge-llm-gateway mcp"), info: encoder.encode("mcp credentials v1") },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** base64(12-byte IV || ciphertext and tag) of the JSON of `value`. */
export async function seal(secret: string, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await keyFor(secret), encoder.encode(JSON.stringify(value))));
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return toBase64(out);
}

export async function unseal<T>(secret: string, blob: string): Promise<T> {
  const bytes = fromBase64(blob);
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12) }, await keyFor(secret), bytes.subarray(12));
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  } catch {
    throw new GatewayError(500, "server", "A stored MCP server's credentials cannot be decrypted: LITELLM_SALT_KEY (or the master key) changed since it was added. Delete and re-add the server.");
  }
}
