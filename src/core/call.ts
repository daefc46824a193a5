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

/**
 * An answer a middleware already holds (a cache hit): dispatch sends it instead of routing the call
 * upstream. The same shapes as an upstream's result; a stream ends the call itself when it ends.
 */
export type ReadyAnswer =
  | { kind: "json"; body: object; usage?: Usage; text: string }
  | { kind: "stream"; body: ReadableStream<Uint8Array> };

/**
 * How a call ended, on both sides: what the client got (`status`) and what the upstream reported (`usage`).
 *   ok           the client got the whole answer
 *   error        the client got an error (mid-stream: after part of the answer)
 *   aborted      the client went away before the end
 *   undelivered  an upstream answered (and charged for it), but the client did not get that answer: the
 *                gateway failed after the upstream call
 */
export interface CallOutcome {
  status: "ok" | "error" | "aborted" | "undelivered";
  /** Answered from the response cache: costs nothing, reserves nothing. */
  cacheHit?: boolean;
  /** HTTP status sent (or that would have been sent) to the client. */
  httpStatus: number;
  usage?: Usage;
  /** Streams: characters of text the upstream had generated, to estimate usage when its own count never came. */
  generatedChars?: number;
  /** Units billed besides tokens (images, audio seconds, characters, search units). */
  units?: BilledUnits;
  /** The deployment that answered (or failed last). */
  deployment?: Deployment;
  error?: GatewayError;
  endedAt: number;
}

/** One upstream attempt of a call (src/router records them; observability reads them once the call is over). */
export interface AttemptNote {
  deployment: Deployment;
  /** The model group it was made for (a fallback group after fallbacks). */
  group: string;
  startedAt: number;
  /** Until the answer (JSON), its first chunk (streams) or the failure. */
  ms: number;
  error?: GatewayError;
  /** Seconds the failure cooled the deployment down for. */
  cooledDownS?: number;
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
  /** Every upstream attempt, in order. */
  readonly attempts: AttemptNote[] = [];
  /** The answering upstream's x-ratelimit-remaining-requests / -tokens, when it sent them. */
  upstreamRemaining?: { requests?: number; tokens?: number };
  /** Extra response headers contributed by middleware before the call. */
  readonly headers: Record<string, string> = {};
  /** Set once successHeaders has built the answer's headers (and run the onAnswer hooks). */
  answered = false;
  /**
   * Set when an upstream answered (2xx) but the gateway could not make the client's answer of it: the
   * call then ends "undelivered", charged this usage, and is neither retried nor sent to a fallback.
   */
  upstreamAnswered?: { usage?: Usage };
  private answerHooks?: ((headers: Record<string, string>, outcome: CallOutcome | undefined) => void)[];
  /** Set by the response cache before the limits step: the answer to send, found in the cache (src/cache). */
  cacheHit?: ReadyAnswer;
  readonly done: Promise<CallOutcome>;
  /** USD a usage costs on a deployment, when its price is known (set by the limits step: a stream's final usage chunk carries it). */
  usageCost?: (usage: Usage, deployment: Deployment) => number | undefined;
  /** Set with `done`: middleware reads it synchronously once the call is over. */
  outcome?: CallOutcome;
  private resolveDone!: (outcome: CallOutcome) => void;
  /** Set by holdEnd: `done` waits for it. */
  private hold?: Promise<GatewayError | undefined>;

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
  onAnswer(hook: (headers: Record<string, string>, outcome: CallOutcome | undefined) => void): void {
    (this.answerHooks ??= []).push(hook);
  }

  /** Runs the onAnswer hooks on the answer's headers; `outcome`: how the call will end once the answer is out (JSON answers). */
  answer(headers: Record<string, string>, outcome: CallOutcome | undefined = this.outcome): void {
    this.answered = true;
    for (const hook of this.answerHooks ?? []) hook(headers, outcome);
  }

  /**
   * Ends the call with the error that ended it: "aborted" if the client left, "undelivered" if an
   * upstream had answered, else "error". Ignored once ended.
   */
  fail(error: GatewayError): void {
    const status = this.signal.aborted ? "aborted" : this.upstreamAnswered ? "undelivered" : "error";
    this.finish({ status, httpStatus: error.status, error, usage: this.upstreamAnswered?.usage });
  }

  /** The outcome `finish` would record now, without ending the call (a JSON answer's headers are built from it first). */
  ending(outcome: Omit<CallOutcome, "endedAt" | "deployment"> & { deployment?: Deployment }): CallOutcome {
    const ended: CallOutcome = { deployment: this.deployment, ...outcome, endedAt: Date.now() };
    if (this.cacheHit) ended.cacheHit = true;
    return ended;
  }

  /**
   * A step that judges the answer after the upstream produced it (guardrails' post_call, outside the
   * cache) holds `done` until it has: `release()` lets the call end as it did, `release(error)` ends it
   * as that refusal instead (a blocked answer is not charged). Call before the call is dispatched, and
   * release on every path; nothing on the request path may await `done` meanwhile.
   */
  holdEnd(): (refusal?: GatewayError) => void {
    let release!: (refusal?: GatewayError) => void;
    this.hold = new Promise((resolve) => (release = resolve));
    return release;
  }

  /** Settles `done` once; later calls are ignored. */
  finish(outcome: (Omit<CallOutcome, "endedAt" | "deployment"> & { deployment?: Deployment }) | CallOutcome): void {
    if (this.outcome) return;
    const ended = "endedAt" in outcome ? outcome : this.ending(outcome);
    this.outcome = ended;
    if (!this.hold) return this.resolveDone(ended);
    void this.hold.then((refusal) => {
      if (refusal) this.outcome = { ...ended, status: "error", httpStatus: refusal.status, error: refusal };
      this.resolveDone(this.outcome!);
    });
  }
}
