// OpenAI's other endpoints, for every provider that speaks its wire format (OpenAI and the compatible
// ones, Azure with its own URLs): images, audio transcriptions and translations (multipart), speech
// (audio bytes streamed back), moderations, file uploads and batches, and the stored files and batches
// they make (GET/DELETE). Requests go as the client sent them, with the upstream model id; answers
// are OpenAI's already.
import { GatewayError } from "../../errors";
import type { AdapterContext, EndpointHandler, ProviderAdapter, UpstreamRequest } from "../../core/provider";
import type { BatchCreateRequest, FileUploadRequest, TranscriptionRequest } from "../../schema/endpoints";
import { GATEWAY_PARAMS } from "../../schema/openai";
import { upstreamBody } from "./request";

/** URL and headers of one of the API's paths ("/images/generations", "/files/{id}"), for a deployment. */
export type TargetFor = (path: string, ctx: AdapterContext) => Omit<UpstreamRequest, "body">;

/** The gateway's own form fields, and the ones it reads to route an upload: never sent upstream. */
const GATEWAY_FORM_FIELDS = new Set([...GATEWAY_PARAMS, "target_model_names"]);

/** Headers for a multipart body: fetch writes the content type with its boundary. */
function formHeaders(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  delete out["content-type"];
  return out;
}

/** The client's form fields as a FormData again (arrays as repeated `name[]`), minus the gateway's own. */
export function formOf(body: Record<string, unknown>, overrides: Record<string, string | File | undefined> = {}): FormData {
  const form = new FormData();
  const fields = { ...body, ...overrides };
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null || (GATEWAY_FORM_FIELDS.has(name) && !(name in overrides))) continue;
    if (value instanceof File) form.append(name, value, value.name);
    else if (Array.isArray(value)) for (const v of value) form.append(`${name}[]`, v instanceof File ? v : String(v));
    else form.append(name, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  return form;
}

/**
 * A batch input file as this deployment needs it: each request's `model` (the client's model group)
 * becomes the upstream model id (on Azure, the deployment name). Other files go as they came.
 */
export async function batchFileFor(body: FileUploadRequest, ctx: AdapterContext): Promise<File> {
  if (body.purpose !== "batch") return body.file;
  const lines = (await body.file.text()).split("\n");
  const out = lines.map((line, i) => {
    if (!line.trim()) return line;
    let request: { body?: { model?: unknown } };
    try {
      request = JSON.parse(line);
    } catch {
      throw new GatewayError(400, "bad_request", `Line ${i + 1} of the batch file is not JSON`, { param: "file" });
    }
    if (request.body && typeof request.body === "object") request.body.model = ctx.deployment.model;
    return JSON.stringify(request);
  });
  return new File([out.join("\n")], body.file.name, { type: body.file.type || "application/jsonl" });
}

const json = <T extends { model: string }>(path: string, target: TargetFor): EndpointHandler<T, never> => ({
  buildRequest: (body, ctx) => ({ ...target(path, ctx), body: JSON.stringify(upstreamBody(body, ctx.deployment.model)) }),
  parseResponse: (answer) => answer as never,
});

const audio = (path: string, target: TargetFor): EndpointHandler<TranscriptionRequest, never> => ({
  buildRequest: (body, ctx) => {
    const t = target(path, ctx);
    return { ...t, headers: formHeaders(t.headers), body: formOf(body, { model: ctx.deployment.model }) };
  },
  parseResponse: (answer) => answer as never,
  // response_format text, srt and vtt answer plain text.
  answer: "text",
});

/** The handlers of OpenAI's other endpoints at `target`'s URLs. `only`: the endpoints this provider has (default: all). */
export function openAIEndpoints(target: TargetFor, only?: readonly (keyof ProviderAdapter)[]): Partial<ProviderAdapter> {
  const all: Partial<ProviderAdapter> = {
    image_generation: json("/images/generations", target),
    transcription: audio("/audio/transcriptions", target),
    translation: audio("/audio/translations", target),
    speech: { ...json("/audio/speech", target), answer: "binary" },
    moderation: json("/moderations", target),
    file: {
      async buildRequest(body, ctx) {
        const t = target("/files", ctx);
        return { ...t, headers: formHeaders(t.headers), body: formOf(body, { file: await batchFileFor(body, ctx), model: undefined }) };
      },
      parseResponse: (answer) => answer as { id: string },
    },
    batch: {
      buildRequest: (body: BatchCreateRequest, ctx) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(body)) if (!GATEWAY_PARAMS.has(k) || k === "metadata") out[k] = v;
        return { ...target("/batches", ctx), body: JSON.stringify(out) };
      },
      parseResponse: (answer) => answer as { id: string },
    },
    resource: (path, ctx) => target(path, ctx),
  };
  if (!only) return all;
  return Object.fromEntries(only.map((k) => [k, all[k]]));
}
