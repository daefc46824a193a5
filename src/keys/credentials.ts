// Where LiteLLM clients put their key: Authorization: Bearer, x-api-key (Anthropic SDK),
// api-key (Azure SDK), x-goog-api-key (Gemini SDK), x-litellm-api-key.
const KEY_HEADERS = ["x-litellm-api-key", "x-api-key", "api-key", "x-goog-api-key"] as const;

export function extractApiKey(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth) {
    // "Bearer <key>", any case, any spaces (a regex here costs more than the rest of auth).
    const value = auth.trim();
    if (value.length > 7 && value.slice(0, 6).toLowerCase() === "bearer" && (value[6] === " " || value[6] === "\t")) {
      const key = value.slice(7).trim();
      if (key) return key;
    }
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
