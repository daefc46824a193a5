// Cohere's rerank (`cohere/rerank-v3.5`, rerank-english-v3.0, ...): POST {api_base|https://api.cohere.com}/v2/rerank.
// Its request and answer are /v1/rerank's own shape; the answer's meta.billed_units.search_units is
// what the call is billed on. Documents come back only when asked (return_documents), as LiteLLM does.
import type { EndpointHandler } from "../../core/provider";
import type { RerankRequest, RerankResponse } from "../../schema/endpoints";
import { documentOf, documentText, rerankTarget, type RerankerSpec } from "../shared/rerank";

const SPEC: RerankerSpec = { name: "cohere", defaultBase: "https://api.cohere.com", path: "/v2/rerank", keyEnv: "COHERE_API_KEY", baseEnv: "COHERE_API_BASE" };

export const cohereRerank: EndpointHandler<RerankRequest, RerankResponse> = {
  supportedParams: new Set(["model", "query", "documents", "top_n", "return_documents", "max_tokens_per_doc", "rank_fields", "max_chunks_per_doc", "user"]),
  buildRequest(body, ctx) {
    const payload: Record<string, unknown> = { model: ctx.deployment.model, query: body.query, documents: body.documents.map(documentText) };
    if (body.top_n !== undefined) payload.top_n = body.top_n;
    if (body.max_tokens_per_doc !== undefined) payload.max_tokens_per_doc = body.max_tokens_per_doc;
    return { ...rerankTarget(SPEC, ctx), body: JSON.stringify(payload) };
  },
  parseResponse(json, _ctx, body) {
    const answer = json as RerankResponse;
    if (!body.return_documents) return answer;
    return { ...answer, results: answer.results.map((r) => ({ ...r, document: documentOf(body.documents[r.index]) })) };
  },
};
