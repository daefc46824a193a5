/** A random id like OpenAI's: prefix + 24 url-safe characters (Responses API ids). */
export function randomId(prefix = ""): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random bits. Call ids
 * are the primary key of the guards' calls table and of spend_logs; ids that grow with time are
 * appended at the right edge of those B-trees instead of landing on a random page each time.
 * The random bits are a v4 UUID's (the runtime's own, native), after its version digit: no typed array
 * and no per-byte formatting per call.
 */
export function uuidv7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8)}-7${crypto.randomUUID().slice(15)}`;
}
