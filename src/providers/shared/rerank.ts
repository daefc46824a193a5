// /v1/rerank answers in Cohere's shape (LiteLLM's RerankResponse) whatever the provider; the pieces
// every reranker adapter shares: documents as text, documents as Cohere returns them, the request's
// target (api_base or the provider's default, Bearer key), and the handler of OpenAI-style rerank APIs.
import { GatewayError } from "../../errors";
import type { AdapterContext, EndpointHandler, ProviderAdapter, UpstreamRequest } from "../../core/provider";
import type { RerankRequest, RerankResponse } from "../../schema/endpoints";
import { failureJson, plainMessage, providerError } from "./errors";
import { envString } from "./target";

/** A document's text: a string, or an object's `text` (else the object as JSON, as Cohere reads rank_fields-less objects). */
export const documentText = (d: unknown): string =>
  typeof d === "string" ? d : typeof (d as { text?: unknown })?.text === "string" ? (d as { text: string }).text : JSON.stringify(d);

/** A document as Cohere returns it (return_documents). */
export const documentOf = (d: unknown): { text: string } | Record<string, unknown> => (typeof d === "string" ? { text: d } : (d as Record<string, unknown>));

export interface RerankerSpec {
  name: string;
  defaultBase: string;
  /** Path after the base: "/v2/rerank", "/v1/rerank". */
  path: string;
  keyEnv: string;
  baseEnv?: string;
}

export function rerankTarget(spec: RerankerSpec, ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { params } = ctx.deployment;
  const base = (params.api_base ?? (spec.baseEnv ? envString(ctx, spec.baseEnv) : undefined) ?? spec.defaultBase).replace(/\/+$/, "");
  const key = params.api_key ?? envString(ctx, spec.keyEnv);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url: base + spec.path, headers };
}

/** Jina, Voyage and Together answer `{results|data: [{index, relevance_score, document?}], usage: {total_tokens}}`. */
interface TokenRerankAnswer {
  id?: string;
  results?: { index: number; relevance_score: number; document?: unknown }[];
  data?: { index: number; relevance_score: number; document?: unknown }[];
  usage?: { total_tokens?: number; prompt_tokens?: number };
}

/** A reranker billed in tokens: Cohere's request fields under the provider's names (`topK`: its name for top_n). */
export function tokenReranker(spec: RerankerSpec, topN = "top_n"): EndpointHandler<RerankRequest, RerankResponse> {
  return {
    supportedParams: new Set(["model", "query", "documents", "top_n", "return_documents", "user"]),
    buildRequest(body, ctx) {
      const payload: Record<string, unknown> = { model: ctx.deployment.model, query: body.query, documents: body.documents.map(documentText) };
      if (body.top_n !== undefined) payload[topN] = body.top_n;
      if (body.return_documents !== undefined) payload.return_documents = body.return_documents;
      return { ...rerankTarget(spec, ctx), body: JSON.stringify(payload) };
    },
    parseResponse(json, ctx, body) {
      const answer = json as TokenRerankAnswer;
      const results = answer.results ?? answer.data;
      if (!Array.isArray(results)) throw new GatewayError(502, "server", `${spec.name} sent a rerank answer without results`, { upstream: true });
      const tokens = answer.usage?.total_tokens ?? answer.usage?.prompt_tokens;
      return {
        id: answer.id ?? `rerank-${ctx.callId}`,
        results: results.map((r) => ({ index: r.index, relevance_score: r.relevance_score, ...(body.return_documents ? { document: documentOf(body.documents[r.index]) } : {}) })),
        meta: { billed_units: tokens !== undefined ? { total_tokens: tokens } : {} },
      };
    },
  };
}

/** A provider the gateway reaches only for rerank (its other APIs are not wired). */
export function rerankOnly(name: string, rerank: EndpointHandler<RerankRequest, RerankResponse>): ProviderAdapter {
  return {
    name,
    rerank,
    mapError(failure, ctx) {
      const body = failureJson<{ message?: string; detail?: unknown; error?: { message?: string } | string }>(failure);
      const message = (typeof body?.error === "string" ? body.error : body?.error?.message) ?? body?.message ?? (typeof body?.detail === "string" ? body.detail : undefined) ?? plainMessage(failure);
      return providerError(failure, ctx, { message });
    },
  };
}
