// Where LiteLLM clients put their key: Authorization: Bearer, x-api-key (Anthropic SDK),
// api-key (Azure SDK), x-goog-api-key (Gemini SDK), x-litellm-api-key.
const KEY_HEADERS = ["x-litellm-api-key", "x-api-key", "api-key", "x-goog-api-key"] as const;

export function extractApiKey(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1].trim();
  }
  for (const name of KEY_HEADERS) {
    const value = headers.get(name);
    if (value) return value.trim();
  }
  return undefined;
}

const encoder = new TextEncoder();

/** Constant-time string equality (lengths leak, contents do not). */
export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  return crypto.subtle.timingSafeEqual(x, y);
}
