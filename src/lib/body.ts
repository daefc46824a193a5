// Reading bodies with a size cap: a client (or upstream) can never make the Worker hold more than asked.
import { GatewayError } from "../errors";
import { MAX_REQUEST_JSON_DEPTH, tooDeepField } from "./input-limits";
import { clip } from "./safe-text";

/** Reads at most `max` bytes; `truncated` tells whether more were there. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, max: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  if (chunks.length === 1) return { bytes: chunks[0], truncated };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { bytes, truncated };
}

/** The request's JSON object body, or a 400/413 in OpenAI's shape. */
export async function readJsonBody(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const tooLarge = () =>
    new GatewayError(413, "bad_request", `Request body is larger than ${Math.round(maxBytes / 1024 / 1024)} MB (general_settings.max_request_size_mb)`, { code: "413" });
  const length = req.headers.get("content-length");
  const declared = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  if (declared !== undefined && declared > maxBytes) throw tooLarge();
  let text: string;
  if (declared !== undefined) {
    // HTTP framing holds the body to its declared length: one native read, no JS stream loop (hot path).
    text = await req.text();
  } else {
    // Chunked: read chunk by chunk, never past the cap.
    const { bytes, truncated } = await readCapped(req.body, maxBytes);
    if (truncated) throw tooLarge();
    text = new TextDecoder().decode(bytes);
  }
  if (!text.trim()) throw new GatewayError(400, "bad_request", "Request body is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new GatewayError(400, "bad_request", `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new GatewayError(400, "bad_request", "Request body must be a JSON object");
  }
  // Every later walk over the body (schema conversions, guardrails, storing it) recurses at most this deep.
  const deep = tooDeepField(value as Record<string, unknown>, MAX_REQUEST_JSON_DEPTH);
  if (deep !== undefined) {
    const field = clip(deep, 64);
    throw new GatewayError(400, "bad_request", `Request body is nested too deeply: '${field}' has more than ${MAX_REQUEST_JSON_DEPTH} levels of objects or arrays`, { param: field });
  }
  return value as Record<string, unknown>;
}
