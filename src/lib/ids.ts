/** A random id like OpenAI's: prefix + 24 url-safe characters. */
export function randomId(prefix = ""): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random bits. Call ids
 * are the primary key of the guards' calls table and of spend_logs; ids that grow with time are
 * appended at the right edge of those B-trees instead of landing on a random page each time.
 */
export function uuidv7(now = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = now / 2 ** 40;
  b[1] = now / 2 ** 32;
  b[2] = now >>> 24;
  b[3] = now >>> 16;
  b[4] = now >>> 8;
  b[5] = now;
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = (i: number) => HEX[b[i]];
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
