// LiteLLM's generic API logger: StandardLoggingPayloads POSTed to any endpoint, as one JSON array per
// batch (json_array, the default), newline-delimited JSON (ndjson), or one request per log (single).
import { expectOk, type Sink } from "./batcher";
import type { StandardLoggingPayload } from "./payload";

export interface GenericApiSink {
  name: string;
  endpoint: string;
  headers: Record<string, string>;
  logFormat: "json_array" | "ndjson" | "single";
}

export function genericApiSink(s: GenericApiSink): Sink<StandardLoggingPayload> {
  const headers = { "content-type": "application/json", ...s.headers };
  const post = async (body: string, signal: AbortSignal) => expectOk(await fetch(s.endpoint, { method: "POST", headers, body, signal }), `${s.name} (${new URL(s.endpoint).host})`);
  return {
    name: s.name,
    // One request per log in `single` format: kept within Workers Free's 50 subrequests per request, retries included.
    maxItems: s.logFormat === "single" ? 15 : undefined,
    async send(items, signal) {
      if (s.logFormat === "single") {
        // Each log its own request, in parallel; the batch is retried if any failed (receivers dedupe on id).
        const results = await Promise.allSettled(items.map((p) => post(JSON.stringify(p), signal)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        return;
      }
      await post(s.logFormat === "ndjson" ? items.map((p) => JSON.stringify(p)).join("\n") : JSON.stringify(items), signal);
    },
  };
}
