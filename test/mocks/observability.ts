// Mocks of the logging and alerting services under /observability/<service>, speaking their real APIs
// (request shapes and credentials checked, answers shaped as the services answer):
//   /observability/langfuse/api/public/ingestion   Langfuse's ingestion API: basic auth, {batch:[events]} -> 207
//   /observability/otel/v1/traces                  an OTLP/HTTP JSON collector: resourceSpans -> 200 {partialSuccess:{}}
//   /observability/webhook/<name>                  a generic API callback receiver: JSON array, NDJSON or one object
//   /observability/s3/<bucket>/<key>               S3 PutObject (SigV4 checked as S3 does) / GetObject
//   /observability/datadog/api/v2/logs             Datadog's logs intake: DD-API-KEY, [entries] -> 202 {}
//   /observability/slack/<hook>                    a Slack incoming webhook: {text} -> 200 "ok"
//   /observability/down/...                        any of them, unavailable: 503 every time
// Requests are recorded by ./upstream.ts (GET /__requests).
import type { IncomingMessage, ServerResponse } from "node:http";
import { AwsV4Signer } from "aws4fetch";
import { DATADOG_KEY, LANGFUSE_PUBLIC, LANGFUSE_SECRET, OTEL_TOKEN, S3_ACCESS_KEY, S3_SECRET_KEY } from "./credentials";
import { json } from "./wire";

const objects = new Map<string, string>();

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
}

function langfuse(req: IncomingMessage, res: ServerResponse, body: string) {
  if (req.headers.authorization !== `Basic ${Buffer.from(`${LANGFUSE_PUBLIC}:${LANGFUSE_SECRET}`).toString("base64")}`) {
    return json(res, 401, { message: "Invalid credentials. Confirm that you've configured the correct host." });
  }
  const parsed = JSON.parse(body) as { batch?: { id?: string; type?: string; timestamp?: string; body?: { id?: string } }[] };
  if (!Array.isArray(parsed.batch)) return json(res, 400, { message: "Invalid request data", error: [{ path: ["batch"], message: "Required" }] });
  const successes: object[] = [];
  const errors: object[] = [];
  for (const e of parsed.batch) {
    const ok = typeof e.id === "string" && typeof e.timestamp === "string" && ["trace-create", "generation-create", "span-create", "event-create"].includes(e.type ?? "") && typeof e.body?.id === "string";
    if (ok) successes.push({ id: e.id, status: 201 });
    else errors.push({ id: e.id ?? "", status: 400, message: "Invalid request data" });
  }
  json(res, 207, { successes, errors });
}

function otel(req: IncomingMessage, res: ServerResponse, body: string) {
  if (req.headers["x-otel-token"] !== OTEL_TOKEN) return json(res, 401, { code: 16, message: "missing or wrong x-otel-token" });
  if (!String(req.headers["content-type"]).startsWith("application/json")) return json(res, 415, { code: 3, message: "only JSON is accepted here" });
  const parsed = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: { traceId?: string; spanId?: string; startTimeUnixNano?: string }[] }[] }[] };
  for (const rs of parsed.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        if (!/^[0-9a-f]{32}$/.test(span.traceId ?? "") || !/^[0-9a-f]{16}$/.test(span.spanId ?? "") || !/^\d+$/.test(span.startTimeUnixNano ?? "")) {
          return json(res, 400, { code: 3, message: "invalid span ids or times" });
        }
      }
    }
  }
  json(res, 200, { partialSuccess: {} });
}

async function s3(req: IncomingMessage, res: ServerResponse, path: string, body: string) {
  const key = path.slice("/observability/s3/".length);
  if (req.method === "GET") {
    const found = objects.get(key);
    return found === undefined ? text(res, 404, "<Error><Code>NoSuchKey</Code></Error>", { "content-type": "application/xml" }) : text(res, 200, found, { "content-type": "application/json" });
  }
  const auth = String(req.headers.authorization ?? "");
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== S3_ACCESS_KEY) return text(res, 403, "<Error><Code>InvalidAccessKeyId</Code></Error>", { "content-type": "application/xml" });
  const headers: Record<string, string> = {};
  for (const name of m[4].split(";")) if (name !== "host" && name !== "x-amz-date") headers[name] = String(req.headers[name] ?? "");
  const signer = new AwsV4Signer({ url: `http://${req.headers.host}${req.url}`, method: req.method, headers, body, accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY, service: "s3", region: m[3], datetime: String(req.headers["x-amz-date"]) });
  if ((await signer.sign()).headers.get("authorization") !== auth) return text(res, 403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", { "content-type": "application/xml" });
  objects.set(decodeURIComponent(key), body);
  text(res, 200, "", { etag: `"${Buffer.from(body).length.toString(16)}"` });
}

function datadog(req: IncomingMessage, res: ServerResponse, body: string) {
  if (req.headers["dd-api-key"] !== DATADOG_KEY) return json(res, 403, { errors: ["Forbidden"] });
  const entries = JSON.parse(body);
  if (!Array.isArray(entries) || entries.some((e) => typeof e.message !== "string")) return json(res, 400, { errors: ["Bad Request"] });
  json(res, 202, {});
}

export async function observabilityMock(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
  if (path.startsWith("/observability/down/")) return json(res, 503, { message: "mock: this service is down" });
  if (path === "/observability/langfuse/api/public/ingestion") return langfuse(req, res, body);
  if (path === "/observability/otel/v1/traces") return otel(req, res, body);
  if (path.startsWith("/observability/webhook/")) return json(res, 200, { status: "ok" });
  if (path.startsWith("/observability/s3/")) return s3(req, res, path, body);
  if (path === "/observability/datadog/api/v2/logs") return datadog(req, res, body);
  if (path.startsWith("/observability/slack/")) {
    const parsed = JSON.parse(body) as { text?: unknown };
    return typeof parsed.text === "string" ? text(res, 200, "ok") : text(res, 400, "no_text");
  }
  json(res, 404, { message: `mock: no route ${path}` });
}
