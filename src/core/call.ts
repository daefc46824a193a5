// The state of one LLM call as it moves through the middleware chain. Middleware that must act
// after the response has fully gone out (spend, limits, logging, caching) awaits `call.done`:
// for streams that is when the last chunk was sent or the client went away.
import type { Principal } from "./principal";
import type { GatewayError } from "../errors";
import type { ChatCompletion, ChatRequest, CompletionRequest, EmbeddingRequest, Usage } from "../schema/openai";
import type { BatchCreateRequest, FileUploadRequest, ImageRequest, ModerationRequest, RerankRequest, SpeechRequest, TranscriptionRequest } from "../schema/endpoints";
import { estimateChatPromptTokens, estimateTokens } from "../lib/tokens";
import { streams } from "./endpoints";
import type { ClientStreamFormat, Deployment, ModelGroup, PassthroughClient } from "./provider";

export type LlmRequest =
  | { endpoint: "chat"; body: ChatRequest }
  | { endpoint: "completion"; body: CompletionRequest }
  | { endpoint: "embedding"; body: EmbeddingRequest }
  | { endpoint: "image_generation"; body: ImageRequest }
  /** `audioSeconds`: the uploaded audio's length, when its header tells (src/lib/audio.ts), for cost and reservations. */
  | { endpoint: "transcription" | "translation"; body: TranscriptionRequest; audioSeconds?: number }
  | { endpoint: "speech"; body: SpeechRequest }
  | { endpoint: "moderation"; body: ModerationRequest }
  | { endpoint: "rerank"; body: RerankRequest }
  | { endpoint: "file"; body: FileUploadRequest }
  | { endpoint: "batch"; body: BatchCreateRequest };

/**
 * What a call is billed on besides tokens, as LiteLLM prices it: images (with the size and quality
 * asked), seconds of audio, characters of speech, rerank search units; `batch`: tokens at batch prices.
 */
export interface BilledUnits {
  images?: number;
  size?: string;
  quality?: string;
  seconds?: number;
  characters?: number;
  searchUnits?: number;
  batch?: boolean;
}

const textOfInput = (input: unknown): string => (typeof input === "string" ? input : JSON.stringify(input ?? ""));

/** Prompt tokens of a request, estimated (~4 characters a token): budget reservations, routing, the mock provider. */
export function estimatePromptTokens(request: LlmRequest): number {
  switch (request.endpoint) {
    case "chat":
      return estimateChatPromptTokens(request.body);
    case "completion":
      return estimateTokens(JSON.stringify(request.body.prompt));
    case "embedding": {
      const input = request.body.input;
      return typeof input === "string" ? estimateTokens(input) : (input as unknown[]).reduce<number>((n, x) => n + (typeof x === "string" ? estimateTokens(x) : Array.isArray(x) ? x.length : 1), 0);
    }
    case "image_generation":
      return estimateTokens(request.body.prompt);
    case "speech":
      return estimateTokens(request.body.input);
    case "moderation":
      return estimateTokens(textOfInput(request.body.input));
    case "rerank":
      // Each document is scored against the query: the query counts once per document.
      return request.body.documents.reduce<number>((n, d) => n + estimateTokens(request.body.query) + estimateTokens(textOfInput(d)), 0);
    default:
      return 0;
  }
}

/**
 * A client speaking another API than OpenAI's (Anthropic's /v1/messages). Its call carries the
 * OpenAI form of its request, so limits, spend, cache and every adapter work unchanged; a deployment
 * whose adapter has a passthrough for this API gets `body` nearly as is instead, and answers directly
 * in the client's format.
 */
export interface ClientApi extends PassthroughClient {
  /**
   * Set when the request uses features only a passthrough can serve: the reason (a phrase the 400
   * elsewhere completes), or the whole error to answer with.
   */
  readonly needsPassthrough?: string | GatewayError;
  /** Whether this deployment serves the client's API itself (default: when its adapter has a passthrough for it). */
  native?(deployment: Deployment): boolean;
  /** LiteLLM's call_type for the spend log, when not the endpoint's. */
  readonly callType?: string;
  /** An OpenAI chat.completion in the client's format. */
  fromOpenAI(completion: ChatCompletion): object;
  /** How to write the stream: converting OpenAI chunks, or (passthrough) writing the upstream's own events. */
  streamFormat(passthrough: boolean): ClientStreamFormat;
}

export interface CallOutcome {
  status: "ok" | "error" | "aborted";
  /** HTTP status sent (or that would have been sent) to the client. */
  httpStatus: number;
  usage?: Usage;
  /** Units billed besides tokens (images, audio seconds, characters, search units). */
  units?: BilledUnits;
  /** The deployment that answered (or failed last). */
  deployment?: Deployment;
  error?: GatewayError;
  endedAt: number;
}

export class LlmCall {
  readonly startedAt = Date.now();
  /** Deployment of the attempt under way / that answered. */
  deployment?: Deployment;
  /** The upstream URL of that attempt, without query string. */
  apiBase = "";
  /** Milliseconds spent waiting on upstreams (for x-litellm-overhead-duration-ms). */
  upstreamMs = 0;
  attemptedRetries = 0;
  attemptedFallbacks = 0;
  /** Extra response headers contributed by middleware before the call. */
  readonly headers: Record<string, string> = {};
  /** Set once successHeaders has built the answer's headers (and run the onAnswer hooks). */
  answered = false;
  private answerHooks?: ((headers: Record<string, string>) => void)[];
  readonly done: Promise<CallOutcome>;
  /** Set with `done`: middleware reads it synchronously once the call is over. */
  outcome?: CallOutcome;
  private resolveDone!: (outcome: CallOutcome) => void;

  constructor(
    readonly id: string,
    readonly request: LlmRequest,
    /** The resolved model group (the requested name, or its alias target / wildcard match). */
    readonly group: ModelGroup,
    readonly principal: Principal,
    /** Aborts when the client disconnects. */
    readonly signal: AbortSignal,
    /** Absent for OpenAI-format clients. */
    readonly client?: ClientApi,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get endpoint() {
    return this.request.endpoint;
  }

  get stream(): boolean {
    return streams(this.request.endpoint) && (this.request.body as { stream?: unknown }).stream === true;
  }

  /** The client asked for a final usage chunk. */
  get includeUsage(): boolean {
    return this.stream && (this.request.body as ChatRequest).stream_options?.include_usage === true;
  }

  /**
   * Middleware that adds headers known only once the call is over (cost, spend) registers them here:
   * they run while successHeaders builds the answer's headers, so the runtime gets them all at once.
   */
  onAnswer(hook: (headers: Record<string, string>) => void): void {
    (this.answerHooks ??= []).push(hook);
  }

  /** Runs the onAnswer hooks on the answer's headers. */
  answer(headers: Record<string, string>): void {
    this.answered = true;
    for (const hook of this.answerHooks ?? []) hook(headers);
  }

  /** Ends the call with the error that ended it: "aborted" if the client left, else "error". Ignored once ended. */
  fail(error: GatewayError): void {
    this.finish({ status: this.signal.aborted ? "aborted" : "error", httpStatus: error.status, error });
  }

  /** Settles `done` once; later calls are ignored. */
  finish(outcome: Omit<CallOutcome, "endedAt" | "deployment"> & { deployment?: Deployment }): void {
    if (this.outcome) return;
    this.outcome = { deployment: this.deployment, ...outcome, endedAt: Date.now() };
    this.resolveDone(this.outcome);
  }
}
