// Object storage callbacks: one JSON object per call (its StandardLoggingPayload), keyed as LiteLLM's
// S3 logger keys them: `<path>/<YYYY-MM-DD>/time-<HH-MM-SS-ffffff>_<call id>.json`. The key is made from
// the call, so a retried upload rewrites the same object.
//   s3 / s3_v2: any S3-compatible API (AWS S3, MinIO, R2's S3 endpoint), signed with SigV4 (aws4fetch).
//   r2: an R2 bucket binding of this Worker, no credentials at all.
import { AwsClient } from "aws4fetch";
import { expectOk, type Sink } from "./batcher";
import type { StandardLoggingPayload } from "./payload";

/** Uploads at once per batch (each upload is its own request). */
const PARALLEL = 8;
/**
 * Objects per batch: each is a subrequest of the request whose background sends it, retries included,
 * and Workers Free allows 50 per request (15 x 3 attempts leaves room for the call's own).
 */
const OBJECTS_PER_BATCH = 15;

export function objectKey(prefix: string | undefined, p: StandardLoggingPayload): string {
  const at = new Date(p.startTime * 1000).toISOString(); // 2026-11-21T10:20:30.123Z
  const dir = prefix ? `${prefix.replace(/\/+$/, "")}/` : "";
  return `${dir}${at.slice(0, 10)}/time-${at.slice(11, 19).replaceAll(":", "-")}-${at.slice(20, 23)}000_${p.id}.json`;
}

/** Runs `put` for every item, PARALLEL at a time; throws the first failure once all have run. */
async function uploadAll(items: StandardLoggingPayload[], put: (p: StandardLoggingPayload) => Promise<void>): Promise<void> {
  let failure: unknown;
  for (let i = 0; i < items.length; i += PARALLEL) {
    const results = await Promise.allSettled(items.slice(i, i + PARALLEL).map(put));
    for (const r of results) if (r.status === "rejected") failure ??= r.reason;
  }
  if (failure) throw failure;
}

export interface S3Settings {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Base URL of the S3 API; objects are addressed path-style: <endpoint>/<bucket>/<key>. */
  endpoint: string;
  path?: string;
}

export function s3Sink(s: S3Settings, name: string): Sink<StandardLoggingPayload> {
  const client = new AwsClient({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken, service: "s3", region: s.region });
  const base = `${s.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(s.bucket)}/`;
  return {
    name,
    maxItems: OBJECTS_PER_BATCH,
    send: (items, signal) =>
      uploadAll(items, async (p) => {
        const key = objectKey(s.path, p).split("/").map(encodeURIComponent).join("/");
        const res = await client.fetch(base + key, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(p), signal });
        await expectOk(res, "S3");
      }),
  };
}

export function r2Sink(bucket: R2Bucket, path: string | undefined): Sink<StandardLoggingPayload> {
  return {
    name: "r2",
    maxItems: OBJECTS_PER_BATCH,
    send: (items) =>
      uploadAll(items, async (p) => {
        await bucket.put(objectKey(path, p), JSON.stringify(p), { httpMetadata: { contentType: "application/json" } });
      }),
  };
}
