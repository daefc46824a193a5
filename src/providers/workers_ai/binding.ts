// Workers AI through the Worker's AI binding (env.AI.run, no key needed): requests carry a
// workers-ai://binding/ URL, and the binding's results and errors come back as the REST API's would.
import type { UpstreamRequest } from "../../core/provider";

export const BINDING_URL = "workers-ai://binding/";

/** Internal error codes of Workers AI -> HTTP status (developers.cloudflare.com/workers-ai/platform/errors). */
export const ERROR_STATUS: Record<number, number> = {
  3003: 400, 3006: 413, 3007: 408, 3008: 408, 3023: 403, 3036: 429, 3039: 400, 3040: 429, 3041: 403, 3042: 404,
  5004: 400, 5005: 405, 5006: 400, 5007: 404, 5016: 403, 5018: 403, 5019: 405, 5021: 400,
};

/** Runs a request on the AI binding, answering like the REST API would (errors included), so the rest of the path is shared. */
export async function runOnBinding(req: UpstreamRequest, ai: Ai, signal: AbortSignal): Promise<Response> {
  const model = req.url.slice(BINDING_URL.length);
  const inputs = JSON.parse(typeof req.body === "string" ? req.body : "{}") as Record<string, unknown>;
  try {
    const result = await (ai.run as (m: string, i: object, o: object) => Promise<unknown>)(model, inputs, { signal });
    if (result instanceof ReadableStream) return new Response(result, { headers: { "content-type": "text/event-stream" } });
    return Response.json({ result, success: true, errors: [] });
  } catch (err) {
    if (signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const code = Number(/\b(\d{4}):/.exec(message)?.[1] ?? 0);
    return Response.json({ result: null, success: false, errors: [{ code, message }] }, { status: ERROR_STATUS[code] ?? 500 });
  }
}
