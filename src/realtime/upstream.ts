// Where a Realtime session goes: the WebSocket URL and headers of an openai/ or azure/ deployment
// (LiteLLM's), opened from the Worker with fetch + `Upgrade: websocket`.
import type { Deployment } from "../core/provider";
import type { Env } from "../env";
import { GatewayError } from "../errors";

/** Azure's realtime API version when neither the deployment nor AZURE_API_VERSION gives one. */
const AZURE_REALTIME_VERSION = "2024-10-01-preview";
export const REALTIME_PROVIDERS = new Set(["openai", "azure"]);

export interface RealtimeTarget {
  /** http(s): Workers open WebSockets with fetch. */
  url: string;
  headers: Record<string, string>;
  /** For logs and the spend log: no query string. */
  apiBase: string;
}

const envString = (env: Env, name: string) => (typeof env[name] === "string" ? (env[name] as string) : undefined);
const httpScheme = (url: string) => url.replace(/^ws(s?):\/\//, "http$1://").replace(/\/+$/, "");

/** `betaHeader`: the client's OpenAI-Beta (or its `openai-beta.realtime-v1` subprotocol), passed on. */
export function realtimeTarget(d: Deployment, env: Env, betaHeader: string | undefined): RealtimeTarget {
  const params = d.params;
  if (d.provider === "azure") {
    const base = params.api_base ?? envString(env, "AZURE_API_BASE");
    if (!base) throw new GatewayError(500, "server", `deployment '${d.modelName}' (azure) needs litellm_params.api_base or AZURE_API_BASE`);
    const version = params.api_version ?? envString(env, "AZURE_API_VERSION") ?? AZURE_REALTIME_VERSION;
    const key = params.api_key ?? envString(env, "AZURE_API_KEY");
    const apiBase = `${httpScheme(base)}/openai/realtime`;
    const headers: Record<string, string> = key ? { "api-key": key } : params.azure_ad_token ? { authorization: `Bearer ${params.azure_ad_token}` } : {};
    return { url: `${apiBase}?api-version=${encodeURIComponent(version)}&deployment=${encodeURIComponent(d.model)}`, headers, apiBase };
  }
  const base = params.api_base ?? envString(env, "OPENAI_API_BASE") ?? "https://api.openai.com/v1";
  const key = params.api_key ?? envString(env, "OPENAI_API_KEY");
  const apiBase = `${httpScheme(base)}/realtime`;
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (params.organization) headers["openai-organization"] = params.organization;
  if (betaHeader) headers["openai-beta"] = betaHeader;
  return { url: `${apiBase}?model=${encodeURIComponent(d.model)}`, headers, apiBase };
}

/** The deployment a session uses: an openai/ or azure/ one of the group, at random among them. */
export function realtimeDeployment(deployments: readonly Deployment[]): Deployment | undefined {
  const usable = deployments.filter((d) => REALTIME_PROVIDERS.has(d.provider));
  return usable[Math.floor(Math.random() * usable.length)];
}
