// Virtual key material: generation, the SHA-256 "token" that is all D1 ever stores, and the
// `sk-...abcd` display form.
import { sha256Hex } from "../lib/sha256";

/** 24 random bytes = 192 bits, URL-safe base64 (32 characters) after `sk-`. */
export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return "sk-" + btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** SHA-256 hex: the key's token (LiteLLM's `hash_token`). */
export const hashKey = (key: string): Promise<string> => sha256Hex(key);

const TOKEN = /^[0-9a-f]{64}$/;

export const isToken = (value: string) => TOKEN.test(value);

/** Admin routes take the key itself or its token; both name the same key. */
export async function tokenOf(keyOrToken: string): Promise<string> {
  return isToken(keyOrToken) ? keyOrToken : hashKey(keyOrToken);
}

/** `sk-...abcd`: enough to recognise a key, never enough to use it. */
export function displayName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}
