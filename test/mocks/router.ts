// Mock upstream behaviours for the router tests, chosen by model name like the others in upstream.ts:
//   flaky-<n>[-<status>]  fails the first n requests (per model + request content) with <status> (default 500;
//                         a 429 sends retry-after: 1), then answers normally
//   stream-fail-first     a 200 event stream whose connection drops before the first event
//   stream-error-first    a 200 event stream whose first event is an OpenAI error event
import type { ServerResponse } from "node:http";

const failures = new Map<string, number>();

/** Handles the request when its model names a router scenario; false lets the normal mock answer. */
export function routerScenario(res: ServerResponse, body: Record<string, any>): boolean {
  const model = String(body.model ?? "");
  const flaky = /^flaky-(\d+)(?:-(\d{3}))?/.exec(model);
  if (flaky) {
    const key = model + JSON.stringify(body.messages ?? body.prompt ?? body.input);
    const seen = failures.get(key) ?? 0;
    if (seen >= Number(flaky[1])) return false;
    failures.set(key, seen + 1);
    const status = Number(flaky[2] ?? 500);
    res.writeHead(status, { "content-type": "application/json", ...(status === 429 ? { "retry-after": "1" } : {}) });
    res.end(JSON.stringify({ error: { message: `flaky failure ${seen + 1} of ${flaky[1]}`, type: "server_error", param: null, code: null } }));
    return true;
  }
  if (model === "stream-fail-first" && body.stream) {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
    setTimeout(() => res.socket?.destroy(), 20);
    return true;
  }
  if (model === "stream-error-first" && body.stream) {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(`data: ${JSON.stringify({ error: { message: "upstream overloaded", type: "server_error", param: null, code: null } })}\n\n`);
    return true;
  }
  return false;
}
