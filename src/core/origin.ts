// How a deployment reaches its origin: through its `vpc_binding` (a Workers VPC or service binding) when it
// names one, else the public internet. Every upstream request of a deployment goes through here (router/attempt.ts
// send(), the Realtime WebSocket), so a private origin is never asked for over the public internet.
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { Deployment } from "./provider";

export type OriginFetch = (url: string, init: RequestInit) => Promise<Response>;

export function originFetch(deployment: Deployment, env: Env): OriginFetch {
  const name = deployment.params.vpc_binding;
  if (!name) return (url, init) => fetch(url, init);
  const binding = env[name] as Fetcher | undefined;
  if (!binding || typeof binding.fetch !== "function") {
    throw new GatewayError(500, "server", `binding '${name}' (litellm_params.vpc_binding) is not configured in wrangler.toml`);
  }
  return (url, init) => binding.fetch(url, init);
}
