// Routes a call: retries within the requested model group (re-picking a deployment each time),
// then each fallback group in order with its own retries (LiteLLM's Router semantics). Strategies,
// cooldowns, limits and timeouts live in this folder; the rest of the gateway calls `routeCall`
// (and /health calls `markHealthy`).
import type { Deployment, ModelGroup, Runtime } from "../core/provider";
import type { Env } from "../env";
import { GatewayError, toGatewayError } from "../errors";
import type { LlmCall, LlmRequest } from "../core/call";
import { mayUse } from "../core/principal";
import { callDeployment, type UpstreamResult } from "./attempt";
import { fallbacksDisabled, fallbackTargets } from "./fallbacks";
import { sleep } from "./policy";
import { Router } from "./router";

export { Router } from "./router";

// One router per isolate (per env object, like the Runtime it is built from).
const routers = new WeakMap<Runtime, Router>();

export function routerFor(runtime: Runtime, env: Env): Router {
  let router = routers.get(runtime);
  if (!router) routers.set(runtime, (router = new Router(runtime.config, env)));
  return router;
}

const clientClosed = () => new GatewayError(499, "bad_request", "Client closed the request");

/** Tries one group: pick, call, and on failure retry (re-picking) while the error's retry budget allows. */
async function tryGroup(router: Router, call: LlmCall, group: ModelGroup, env: Env, body?: LlmRequest["body"]): Promise<UpstreamResult> {
  const numRetries = call.request.body.num_retries ?? router.settings.numRetries;
  const tried = new Set<string>();
  let lastError: GatewayError | undefined;
  for (let retries = 0; ; retries++) {
    let selection;
    try {
      selection = await router.select(call, group, tried);
    } catch (err) {
      // Nothing left to re-pick: the upstream's own error says more than "no deployments".
      throw lastError ?? err;
    }
    const deployment: Deployment = selection.deployment;
    const started = Date.now();
    try {
      const result = await callDeployment(call, deployment, env, router.attemptOptions(call, deployment, body));
      router.succeeded(call, selection, Date.now() - started, result);
      return result;
    } catch (err) {
      selection.settle();
      const error = toGatewayError(err);
      if (call.signal.aborted) throw error;
      const detail = err instanceof GatewayError ? "" : ` (${String(err)})`;
      console.warn(`[${call.id}] model=${group.name} deployment=${deployment.id} (${deployment.provider}) failed: ${error.status} ${error.message}${detail}`);
      router.failed(group, deployment, error);
      tried.add(deployment.id);
      lastError = error;
      const delay = router.retryDelay(group, deployment, error, retries, numRetries);
      if (delay === undefined) throw error;
      call.attemptedRetries++;
      await sleep(delay, call.signal).catch(() => {
        throw clientClosed();
      });
    }
  }
}

/** LiteLLM's `mock_testing_fallbacks`: the requested group fails at once, so the fallbacks can be tried out. */
function mockFailure(group: string, fallbacks: string[]): GatewayError {
  return new GatewayError(500, "server", `This is a mock exception for model=${group}, to trigger a fallback. Fallbacks=${JSON.stringify(fallbacks)}`);
}

/** The first group's error, with what each fallback answered appended. */
function withFallbackNotes(error: GatewayError, notes: string[]): GatewayError {
  return new GatewayError(error.status, error.kind, `${error.message} (fallbacks tried: ${notes.join("; ")})`, {
    type: error.type,
    param: error.param,
    code: error.code,
    retryAfter: error.retryAfter,
    upstream: error.upstream,
  });
}

export async function routeCall(call: LlmCall, runtime: Runtime, env: Env): Promise<UpstreamResult> {
  const router = routerFor(runtime, env);
  const group = call.group;
  let error: GatewayError;
  try {
    if (call.request.body.mock_testing_fallbacks === true) {
      throw mockFailure(group.name, fallbackTargets(router.settings, call, group.name, new GatewayError(500, "server", "")).map((t) => t.model));
    }
    return await tryGroup(router, call, group, env);
  } catch (err) {
    error = toGatewayError(err);
    if (call.signal.aborted || fallbacksDisabled(call)) throw error;
  }

  const notes: string[] = [];
  for (const target of fallbackTargets(router.settings, call, group.name, error)) {
    call.attemptedFallbacks++;
    const fallback = runtime.resolveModel(target.model);
    let why = target.invalid;
    if (!fallback) why ??= "not a model in the config";
    else if (target.fromRequest && !mayUse(call.principal, fallback)) why ??= "this key may not use it";
    if (why || !fallback) {
      notes.push(`${target.model}: ${why}`);
      continue;
    }
    try {
      return await tryGroup(router, call, fallback, env, target.body);
    } catch (err) {
      const e = toGatewayError(err);
      if (call.signal.aborted) throw e;
      notes.push(`${target.model}: ${e.message}`);
    }
  }
  throw notes.length ? withFallbackNotes(error, notes) : error;
}

/** A /health probe of this deployment answered: end its cooldown here and in KV. */
export function markHealthy(runtime: Runtime, env: Env, deployment: Deployment): Promise<void> {
  return routerFor(runtime, env).healthy(deployment);
}
