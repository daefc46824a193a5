// SHA-256 as lowercase hex (WebCrypto), and the key-order-independent JSON that stable hashes are taken of.

import { checkDepth } from "./input-limits";

const encoder = new TextEncoder();

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** JSON with object keys sorted at every level, so equal values give equal text (and equal hashes). */
export function stableStringify(value: unknown, depth = 0): string {
  if (value && typeof value === "object") checkDepth(depth, "a value to hash");
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, depth + 1)).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v, depth + 1)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
