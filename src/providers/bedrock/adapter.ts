// Amazon Bedrock (`bedrock/<model id or inference profile ARN>`, also `bedrock/converse/...`): the
// Converse and ConverseStream APIs for chat, InvokeModel for Titan and Cohere embeddings. Requests are
// SigV4-signed here (aws4fetch) with aws_access_key_id / aws_secret_access_key / aws_session_token /
// aws_region_name (litellm_params, else the AWS_* env vars), or sent with a Bedrock API key as Bearer.
// ConverseStream answers in AWS's binary event stream (shared/aws-event-stream.ts).
import type { GatewayError } from "../../errors";
import { awsEventStreamDecoder } from "../shared/aws-event-stream";
import { failureJson, failureMessage, field, providerError } from "../shared/errors";
import { jsonToolFor } from "../shared/json-tool";
import type { AdapterContext, ProviderAdapter, UpstreamFailure } from "../../core/provider";
import { CHAT_PARAMS, chatRequest, EMBEDDING_PARAMS, embeddingRequest } from "./request";
import { parseChat, parseEmbedding } from "./response";
import { ConverseStreamTranslator } from "./stream";

/** AWS's `{"message": ...}` with the exception name in x-amzn-errortype (or __type). */
function mapBedrockError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  const message = failureMessage(failure);
  const typeField = field(failureJson(failure), "__type");
  const type = (failure.headers.get("x-amzn-errortype") ?? (typeof typeField === "string" ? typeField : "")).split(":")[0].split("#").pop()!.toLowerCase();
  // Bad or expired credentials come back as 403s; clients and the router expect an auth error.
  if (["unrecognizedclientexception", "invalidsignatureexception", "expiredtokenexception"].includes(type)) {
    return providerError(failure, ctx, { message, kind: "auth", status: 401 });
  }
  if (type === "throttlingexception" || type === "modelnotreadyexception" || type === "servicequotaexceededexception") {
    return providerError(failure, ctx, { message, kind: "rate_limit", status: 429 });
  }
  return providerError(failure, ctx, { message });
}

export const bedrock: ProviderAdapter = {
  name: "bedrock",
  chat: {
    supportedParams: CHAT_PARAMS,
    buildRequest: chatRequest,
    parseResponse: parseChat,
    stream: { decoder: awsEventStreamDecoder, translator: (ctx, body) => new ConverseStreamTranslator(ctx, jsonToolFor(body) !== undefined, (f) => mapBedrockError(f, ctx)) },
  },
  embedding: { supportedParams: EMBEDDING_PARAMS, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
  mapError: mapBedrockError,
};
