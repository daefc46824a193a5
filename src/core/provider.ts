// The contract every provider adapter implements, and what adapters work on: deployments, model
// groups and the per-isolate Runtime that holds them. One folder per provider in src/providers/, each
// exporting one `ProviderAdapter`; src/providers/registry.ts maps `model: <provider>/<id>` prefixes to them.
//
// An adapter only translates: OpenAI request -> upstream HTTP request, upstream JSON -> OpenAI JSON,
// upstream stream events -> OpenAI chunks, upstream error -> GatewayError. Sending, timeouts,
// retries, streaming plumbing and accounting live outside (src/router, src/http).
import type { GatewayError } from "../errors";
import type { LitellmParams, ModelInfo, ParsedConfig } from "../schema/config";
import type {
  ChatCompletion,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  TextCompletion,
  Usage,
} from "../schema/openai";
import type { Env } from "../env";
import type {
  BatchCreateRequest,
  FileUploadRequest,
  ImageRequest,
  ImageResponse,
  ModerationRequest,
  RerankRequest,
  RerankResponse,
  SpeechRequest,
  TranscriptionRequest,
  TranscriptionResponse,
} from "../schema/endpoints";

export interface Deployment {
  /** model_info.id (LiteLLM's model id; x-litellm-model-id). */
  readonly id: string;
  /** model_name: the public name, i.e. the model group. */
  readonly modelName: string;
  /** The `<provider>` of litellm_params.model. */
  readonly provider: string;
  /** The upstream model id (litellm_params.model after the provider prefix). */
  readonly model: string;
  /** litellm_params with every `os.environ/NAME` resolved. */
  readonly params: LitellmParams;
  readonly info: ModelInfo;
  readonly adapter: ProviderAdapter;
  /**
   * Why this deployment cannot be called (an `os.environ/NAME` its params need is not set). Calls to it
   * fail with this message without reaching the upstream, rather than use some other credential.
   */
  readonly misconfigured?: string;
}

export interface ModelGroup {
  readonly name: string;
  readonly deployments: readonly Deployment[];
}

/** The per-isolate view of the compiled config (src/config/runtime.ts builds it). */
export interface Runtime {
  readonly config: ParsedConfig;
  readonly masterKey: string | undefined;
  /** `created` for /v1/models. */
  readonly createdAt: number;
  /** Wildcard model_names ("*", "anthropic/*"), listed as-is by /v1/models. */
  readonly patternNames: readonly string[];
  /** Model groups by public name, in config order. */
  readonly groups: ReadonlyMap<string, ModelGroup>;
  /** Resolves a requested model name to its group (exact names, aliases, then wildcard patterns). */
  resolveModel(name: string): ModelGroup | undefined;
  /**
   * The same object for every Runtime an isolate builds from its config (they differ only in the models
   * stored at runtime): per-isolate state that must outlive a models change (the router's cooldowns,
   * in-flight counts, latencies) is keyed by it, not by the Runtime.
   */
  readonly isolate: object;
  /**
   * With stored models on (general_settings.store_model_in_db): this isolate's newest Runtime, after asking
   * D1 when the last check is older than the refresh interval, or at once with `force` (this isolate just
   * changed a model). Absent when the config is all there is.
   */
  readonly newest?: (force?: boolean) => Promise<Runtime>;
}

/** One upstream stream event: an SSE message, an NDJSON line, or a binary-framed message. */
export interface StreamEvent {
  event?: string;
  data: string;
}

export interface StreamDecoder {
  push(bytes: Uint8Array): StreamEvent[];
  end(): StreamEvent[];
}

export type StreamDecoderKind = "sse" | "ndjson" | (() => StreamDecoder);

/**
 * How translated chunks are written to the client. The default is OpenAI's (`data:` lines, then
 * [DONE]); a route answering in another API's format (Anthropic's /v1/messages) brings its own.
 */
export interface ClientStreamFormat {
  /** SSE text for one emitted chunk ("" to write nothing). */
  write(chunk: object | string): string;
  /** SSE text after the upstream's last event; `cost`: the stream's USD, when its price is known (LiteLLM's usage.cost). */
  end(translator: StreamTranslator, cost?: number): string;
  /** SSE text for an error after the stream started. */
  error(error: GatewayError): string;
}

/** What a passthrough adapter reads of a client speaking its provider's own API (ClientApi in ./call.ts). */
export interface PassthroughClient {
  readonly api: "anthropic" | "responses";
  /** The client's own request body. */
  readonly body: Record<string, unknown>;
  /** Request headers a passthrough forwards (anthropic-beta, anthropic-version). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface UpstreamRequest {
  url: string;
  method?: "POST" | "GET" | "DELETE";
  headers: Record<string, string>;
  /** JSON text, or a multipart form (uploads: fetch sets its content-type with the boundary). */
  body?: string | FormData;
}

/** What an adapter may read while translating one call. */
export interface AdapterContext {
  deployment: Deployment;
  env: Env;
  /** The gateway's call id, for ids in synthesized responses. */
  callId: string;
  stream: boolean;
}

/** Receives OpenAI chunk payloads (objects, or already-serialised JSON text passed through as is). */
export type ChunkSink = (chunk: object | string) => void;

/** Per-call state machine turning upstream stream events into OpenAI chunks. */
export interface StreamTranslator {
  /** One upstream event. Throw a GatewayError for an in-band upstream error. */
  onEvent(event: StreamEvent, emit: ChunkSink): void;
  /** The upstream ended cleanly; emit anything still held back. */
  onEnd?(emit: ChunkSink): void;
  /** Usage as reported by the upstream so far (the pipe emits the final usage chunk from it). */
  readonly usage: Usage | undefined;
  /** id and model of the chunks, for the usage chunk the pipe writes. */
  readonly id: string;
  readonly model: string;
}

export interface EndpointHandler<Req, Res> {
  buildRequest(body: Req, ctx: AdapterContext): UpstreamRequest | Promise<UpstreamRequest>;
  /**
   * `body` is the request as buildRequest got it (e.g. for encoding_format). Returning `json` itself
   * says the upstream answered in OpenAI's format: its text then goes to the client as it came.
   */
  parseResponse(json: unknown, ctx: AdapterContext, body: Req): Res;
  /** Absent: the endpoint cannot stream. */
  stream?: {
    decoder: StreamDecoderKind;
    translator(ctx: AdapterContext, body: Req): StreamTranslator;
  };
  /**
   * OpenAI params this endpoint can honour. Others are dropped when `drop_params` is on, else
   * refused with a 400 naming the param. Absent: everything is passed through.
   */
  supportedParams?: ReadonlySet<string>;
  /**
   * How the upstream answers when not JSON: "binary" (speech audio) is streamed to the client as it
   * comes, with its content type; "text" (transcripts as text/srt/vtt) is passed through when its
   * content type is not JSON. Absent: JSON, given to parseResponse.
   */
  answer?: "binary" | "text";
}

/**
 * Serves a client that speaks this provider's own API (PassthroughClient) without translating: the client's
 * body goes upstream nearly as is, and the response or stream comes back as the provider wrote it.
 */
export interface PassthroughHandler {
  buildRequest(client: PassthroughClient, ctx: AdapterContext): UpstreamRequest | Promise<UpstreamRequest>;
  /** Usage of a JSON response in OpenAI's terms, for spend and limits. */
  usage(json: unknown): Usage | undefined;
  /** The translator emits complete SSE frames in the client's format and tracks usage. */
  stream: { decoder: StreamDecoderKind; translator(ctx: AdapterContext): StreamTranslator };
  /** URL and headers of another resource of the same API (GET/DELETE /responses/{id}), `path` relative to its base. */
  resource?(path: string, ctx: AdapterContext): Omit<UpstreamRequest, "body">;
}

export interface UpstreamFailure {
  status: number;
  headers: Headers;
  /** The upstream's body text (already read, size-capped). */
  text: string;
}

export interface ProviderAdapter {
  /** The `<provider>` of `model: <provider>/<id>`. */
  readonly name: string;
  chat?: EndpointHandler<ChatRequest, ChatCompletion>;
  completion?: EndpointHandler<CompletionRequest, TextCompletion>;
  embedding?: EndpointHandler<EmbeddingRequest, EmbeddingResponse>;
  image_generation?: EndpointHandler<ImageRequest, ImageResponse>;
  transcription?: EndpointHandler<TranscriptionRequest, TranscriptionResponse>;
  translation?: EndpointHandler<TranscriptionRequest, TranscriptionResponse>;
  speech?: EndpointHandler<SpeechRequest, unknown>;
  moderation?: EndpointHandler<ModerationRequest, object>;
  /** /v1/rerank: answers in Cohere's shape whatever the provider's. */
  rerank?: EndpointHandler<RerankRequest, RerankResponse>;
  /** POST /v1/files and /v1/batches (OpenAI, Azure), passed through. */
  file?: EndpointHandler<FileUploadRequest, { id: string }>;
  batch?: EndpointHandler<BatchCreateRequest, { id: string }>;
  /** URL and headers of a stored file or batch (GET/DELETE /files/{id}, /batches/{id}, ...), `path` relative to the API's base. */
  resource?(path: string, ctx: AdapterContext): Omit<UpstreamRequest, "body">;
  /** Chat calls from clients speaking this provider's own API (see ClientApi). */
  passthrough?: Partial<Record<PassthroughClient["api"], PassthroughHandler>>;
  /** Replaces the HTTP fetch, for binding-backed providers (Workers AI) and mock deployments. */
  send?(request: UpstreamRequest, ctx: AdapterContext, signal: AbortSignal): Promise<Response>;
  /** Turns a non-2xx upstream answer into the gateway's error, keeping the upstream's message. */
  mapError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError;
  /** The adapter for one model of this provider, when its models speak different APIs (Vertex AI: Gemini or Claude). Asked once per deployment. */
  variant?(model: string): ProviderAdapter;
}
