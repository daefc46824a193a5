// Credentials of MCP servers added at runtime are stored sealed in D1 (lib/secret-box: AES-GCM under a
// key derived from the Worker secret LITELLM_SALT_KEY, else the master key, as LiteLLM does).
// Changing that secret makes stored credentials unreadable: re-add the servers.
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { open as openText, seal as sealText } from "../lib/secret-box";

/** The secret credentials are sealed under, or undefined when the gateway has neither. */
export function sealingSecret(env: Env, masterKey: string | undefined): string | undefined {
  const salt = env.LITELLM_SALT_KEY;
  return typeof salt === "string" && salt ? salt : masterKey;
}

/** Bound into every sealed blob: a model's sealed credential does not open as an MCP server's. */
const CONTEXT = "mcp server credentials";

/** The JSON of `value`, sealed (lib/secret-box). */
export const seal = (secret: string, value: unknown): Promise<string> => sealText(secret, JSON.stringify(value), CONTEXT);

export async function unseal<T>(secret: string, blob: string): Promise<T> {
  const plain = await openText(secret, blob, CONTEXT);
  if (plain === undefined) {
    throw new GatewayError(500, "server", "A stored MCP server's credentials cannot be decrypted: LITELLM_SALT_KEY (or the master key) changed since it was added. Delete and re-add the server.");
  }
  return JSON.parse(plain) as T;
}
