// Picks the deployment(s) for a call and runs the attempt(s). Strategies, retries, fallbacks,
// cooldowns and timeouts all live in this folder; the rest of the gateway only calls `routeCall`.
import type { Runtime } from "../config/runtime";
import type { Env } from "../env";
import type { LlmCall } from "../proxy/call";
import { callDeployment, type UpstreamResult } from "../proxy/upstream";
import { simpleShuffle } from "./simple-shuffle";

const DEFAULT_TIMEOUT_S = 600;

export async function routeCall(call: LlmCall, runtime: Runtime, env: Env): Promise<UpstreamResult> {
  const deployment = simpleShuffle(call.group.deployments);
  const { router_settings: router, litellm_settings: settings } = runtime.config;
  const body = call.request.body;
  const timeoutS = body.timeout ?? deployment.params.timeout ?? router.timeout ?? settings.request_timeout ?? DEFAULT_TIMEOUT_S;
  const streamTimeoutS = deployment.params.stream_timeout ?? router.stream_timeout ?? timeoutS;
  return callDeployment(call, deployment, env, {
    timeoutMs: timeoutS * 1000,
    streamTimeoutMs: streamTimeoutS * 1000,
    dropParams: body.drop_params ?? settings.drop_params ?? false,
  });
}
