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

const tooLarge = (maxBytes: number) =>
  new GatewayError(413, "bad_request", `Request body is larger than ${Math.round(maxBytes / 1024 / 1024)} MB (general_settings.max_request_size_mb)`, { code: "413" });

/**
 * The request's multipart form as an object (a field sent more than once becomes an array; files stay
 * File objects), or a 400/413. Never holds more than `maxBytes`: a declared length over it is refused
 * before reading, a chunked body is read up to it.
 */
export async function readFormBody(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data/i.test(type)) throw new GatewayError(400, "bad_request", "Request body must be multipart/form-data (a file upload)");
  const length = req.headers.get("content-length");
  if (length !== null && /^\d+$/.test(length) && Number(length) > maxBytes) throw tooLarge(maxBytes);
  const { bytes, truncated } = await readCapped(req.body, maxBytes);
  if (truncated) throw tooLarge(maxBytes);
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": type } }).formData();
  } catch (err) {
    throw new GatewayError(400, "bad_request", `Request body is not a valid multipart form: ${(err as Error).message}`);
  }
  const out: Record<string, unknown> = {};
  for (const [rawName, value] of form.entries()) {
    const name = rawName.endsWith("[]") ? rawName.slice(0, -2) : rawName;
    const prev = out[name];
    out[name] = prev === undefined ? (rawName.endsWith("[]") ? [value] : value) : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** The request's JSON object body, or a 400/413 in OpenAI's shape. */
export async function readJsonBody(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const length = req.headers.get("content-length");
  const declared = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  let text: string;
  if (declared !== undefined) {
    // HTTP framing holds the body to its declared length: one native read, no JS stream loop (hot path).
    text = await req.text();
  } else {
    // Chunked: read chunk by chunk, never past the cap.
    const { bytes, truncated } = await readCapped(req.body, maxBytes);
    if (truncated) throw tooLarge(maxBytes);
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
