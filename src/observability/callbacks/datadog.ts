// Datadog, through its logs intake API (POST /api/v2/logs with DD-API-KEY): each call one log entry
// whose message is the StandardLoggingPayload as JSON, as LiteLLM's Datadog logger sends it.
import { expectOk, type Sink } from "./batcher";
import type { StandardLoggingPayload } from "./payload";

export interface DatadogSettings {
  /** https://http-intake.logs.<DD_SITE>, or DD_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  source: string;
  service: string;
  hostname: string;
  tags: string;
}

/** Datadog takes at most 1,000 entries per request. */
const MAX_ENTRIES = 1000;

export function datadogSink(s: DatadogSettings): Sink<StandardLoggingPayload> {
  const url = `${s.baseUrl.replace(/\/+$/, "")}/api/v2/logs`;
  return {
    name: "datadog",
    async send(items, signal) {
      for (let i = 0; i < items.length; i += MAX_ENTRIES) {
        const entries = items.slice(i, i + MAX_ENTRIES).map((p) => ({
          ddsource: s.source,
          ddtags: s.tags,
          hostname: s.hostname,
          message: JSON.stringify(p),
          service: s.service,
          status: p.status === "failure" ? "error" : "info",
        }));
        const res = await fetch(url, { method: "POST", headers: { "DD-API-KEY": s.apiKey, "content-type": "application/json" }, body: JSON.stringify(entries), signal });
        await expectOk(res, "Datadog");
      }
    },
  };
}
