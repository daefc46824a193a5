// Imagen through the Gemini API (`gemini/imagen-4.0-generate-001`): POST {api_base}/v1beta/models/{model}:predict
// with {instances: [{prompt}], parameters: {sampleCount, aspectRatio}}; the answer's base64 pictures
// become OpenAI's images answer (b64_json: Imagen returns no URLs).
import { GatewayError } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { AdapterContext, EndpointHandler } from "../../core/provider";
import type { ImageRequest, ImageResponse } from "../../schema/endpoints";
import { target } from "./request";

/** Imagen's aspect ratios; an OpenAI size gets the nearest. */
const RATIOS: [string, number][] = [
  ["1:1", 1],
  ["3:4", 3 / 4],
  ["4:3", 4 / 3],
  ["9:16", 9 / 16],
  ["16:9", 16 / 9],
];

function aspectRatio(size: string | null | undefined): string | undefined {
  const m = /^(\d+)x(\d+)$/.exec(size ?? "");
  if (!m) return undefined;
  const want = Number(m[1]) / Number(m[2]);
  return RATIOS.reduce((best, r) => (Math.abs(r[1] - want) < Math.abs(best[1] - want) ? r : best))[0];
}

interface PredictResponse {
  predictions?: { bytesBase64Encoded?: string; mimeType?: string; prompt?: string; raiFilteredReason?: string }[];
}

export const geminiImages: EndpointHandler<ImageRequest, ImageResponse> = {
  supportedParams: new Set(["model", "prompt", "n", "size", "response_format", "user", "quality"]),
  buildRequest(body: ImageRequest, ctx: AdapterContext) {
    if (body.response_format === "url") throw new GatewayError(400, "bad_request", "gemini image models answer b64_json only (response_format: url is not available)", { param: "response_format" });
    const ratio = aspectRatio(body.size);
    const parameters = { sampleCount: body.n ?? 1, ...(ratio ? { aspectRatio: ratio } : {}) };
    return { ...target(ctx, "predict"), body: JSON.stringify({ instances: [{ prompt: body.prompt }], parameters }) };
  },
  parseResponse(json) {
    const predictions = (json as PredictResponse).predictions ?? [];
    const data = predictions.filter((p) => p.bytesBase64Encoded).map((p) => ({ b64_json: p.bytesBase64Encoded! }));
    if (!data.length) {
      const reason = predictions.find((p) => p.raiFilteredReason)?.raiFilteredReason;
      throw new GatewayError(400, "content_policy", `gemini error: ${reason ?? "no image was generated"}`, { upstream: true });
    }
    return { created: nowSeconds(), data };
  },
};
