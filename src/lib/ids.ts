/** A random id like OpenAI's: prefix + 24 url-safe characters. */
export function randomId(prefix = ""): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
