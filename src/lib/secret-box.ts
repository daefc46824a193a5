// Sealing values at rest with AES-256-GCM under a key derived from a Worker secret (LiteLLM's
// LITELLM_SALT_KEY). A sealed value is `sealed:v1:<base64url(iv ‖ ciphertext+tag)>`; the `context` (where
// the value lives, e.g. "<model id>/api_key") is authenticated too, so a sealed value copied to another
// row or field does not open there.
import { base64url, fromBase64url } from "./base64url";
import { derivedKey, type KeyPurpose } from "./derived-key";

const PREFIX = "sealed:v1:";
const IV_BYTES = 12;
const encoder = new TextEncoder();

const SEAL_KEY: KeyPurpose = {
  salt: "edge-llm-gateway stored secrets",
  info: "aes-256-gcm v1",
  algorithm: { name: "AES-GCM", length: 256 },
  usages: ["encrypt", "decrypt"],
};

export const isSealed = (value: unknown): value is string => typeof value === "string" && value.startsWith(PREFIX);

export async function seal(secret: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await derivedKey(secret, SEAL_KEY);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) }, key, encoder.encode(plaintext)));
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return PREFIX + base64url(out);
}

/** The plaintext, or undefined when the value was sealed under another secret or context, or was tampered with. */
export async function open(secret: string, value: string, context: string): Promise<string | undefined> {
  const bytes = isSealed(value) ? fromBase64url(value.slice(PREFIX.length)) : undefined;
  if (!bytes || bytes.length <= IV_BYTES) return undefined;
  try {
    const key = await derivedKey(secret, SEAL_KEY);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: encoder.encode(context) }, key, bytes.slice(IV_BYTES));
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}
