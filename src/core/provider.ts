// The contract every provider adapter implements. One file per provider in this folder, each
// exporting one `ProviderAdapter`; src/providers/registry.ts maps `model: <provider>/<id>` prefixes to them.
//
// An adapter only translates: OpenAI request -> upstream HTTP request, upstream JSON -> OpenAI JSON,
// upstream stream events -> OpenAI chunks, upstream error -> GatewayError. Sending, timeouts,
// retries, streaming plumbing and accounting live outside (src/proxy, src/router).
import type { GatewayError } from "../errors";
import type { Deployment } from "../config/runtime";
import type {
  ChatCompletion,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  TextCompletion,
  Usage,
} from "../schema/openai";
import type { StreamDecoderKind, StreamEvent } from "../providers/shared/stream";
import type { Env } from "../env";
import type { ClientApi } from "./call";

export type Endpoint = "chat" | "completion" | "embedding";

export interface UpstreamRequest {
  url: string;
  method?: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
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
}

/**
 * Serves a client that speaks this provider's own API (ClientApi) without translating: the client's
 * body goes upstream nearly as is, and the response or stream comes back as the provider wrote it.
 */
export interface PassthroughHandler {
  buildRequest(client: ClientApi, ctx: AdapterContext): UpstreamRequest | Promise<UpstreamRequest>;
  /** Usage of a JSON response in OpenAI's terms, for spend and limits. */
  usage(json: unknown): Usage | undefined;
  /** The translator emits complete SSE frames in the client's format and tracks usage. */
  stream: { decoder: StreamDecoderKind; translator(ctx: AdapterContext): StreamTranslator };
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
  /** Chat calls from clients speaking this provider's own API (see ClientApi). */
  passthrough?: Partial<Record<ClientApi["api"], PassthroughHandler>>;
  /** Replaces the HTTP fetch, for binding-backed providers (Workers AI) and mock deployments. */
  send?(request: UpstreamRequest, ctx: AdapterContext, signal: AbortSignal): Promise<Response>;
  /** Turns a non-2xx upstream answer into the gateway's error, keeping the upstream's message. */
  mapError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError;
}
