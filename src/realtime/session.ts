// A Realtime API session through the gateway: the client's WebSocket joined to the deployment's.
// Before the upgrade: the key is checked and its rpm counted (a zero-cost admission that stays open,
// so a live session also counts against max_parallel_requests), and the upstream socket is opened, so
// a refusal is a plain HTTP error. After it, frames pass through both ways as they come; each
// `response.done` is priced and settled on the key (spend, budget, a spend log row), and a session
// whose key's budget is spent is closed with an `error` event. Either side closing closes the other.
import { originFetch } from "../core/origin";
import type { Deployment, ModelGroup } from "../core/provider";
import type { Principal } from "../core/principal";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { inBackground } from "../lib/background";
import { uuidv7 } from "../lib/ids";
import { admitSideCall, cancelSideCall, keySnapshot, settleSideCall, type SideCall } from "../metering/side-calls";
import { priceBook } from "../spend/prices";
import { responseCost, type RealtimeUsage } from "./cost";
import { realtimeTarget, type RealtimeTarget } from "./upstream";

export interface RealtimeOpen {
  env: Env;
  principal: Principal;
  /** From metering/side-calls.ts logToken. */
  token: string;
  group: ModelGroup;
  deployment: Deployment;
  /** The client's OpenAI-Beta header (or its subprotocol's value). */
  beta: string | undefined;
  /** The subprotocol to answer with ("realtime" when the client offered it). */
  protocol: string | undefined;
  keepLogRow: boolean;
}

/** WebSocket close codes: 1008 policy violation (budget), 1011 upstream failure. */
const POLICY = 1008;
const UPSTREAM_ERROR = 1011;

async function connectUpstream(target: RealtimeTarget, deployment: Deployment, env: Env): Promise<WebSocket> {
  // Through the deployment's vpc_binding when it has one, as its other calls.
  const fetchOrigin = originFetch(deployment, env);
  let res: Response;
  try {
    res = await fetchOrigin(target.url, { headers: { ...target.headers, upgrade: "websocket" } });
  } catch (err) {
    throw new GatewayError(502, "server", `Could not reach ${deployment.provider} realtime at ${target.apiBase}: ${(err as Error).message}`, { upstream: true });
  }
  if (!res.webSocket) {
    const detail = (await res.text().catch(() => "")).slice(0, 500);
    const status = res.status >= 400 ? res.status : 502;
    throw new GatewayError(status, status === 401 ? "auth" : status === 429 ? "rate_limit" : "server", `${deployment.provider} realtime refused the connection (${res.status}): ${detail}`, { upstream: true });
  }
  return res.webSocket;
}

/** Opens the session; returns the 101 answer, or throws the refusal (before any upgrade). */
export async function openRealtime(o: RealtimeOpen): Promise<Response> {
  const sessionId = uuidv7();
  const admitted = await admitSideCall(o.env, o.principal, sessionId, o.group.name, true);
  let upstream: WebSocket;
  try {
    upstream = await connectUpstream(realtimeTarget(o.deployment, o.env, o.beta), o.deployment, o.env);
  } catch (err) {
    if (admitted) inBackground(cancelSideCall(o.env, o.principal, sessionId));
    throw err;
  }
  const { 0: client, 1: server } = new WebSocketPair();
  upstream.accept();
  server.accept();
  // Binary frames (audio) as ArrayBuffers, which send() takes as they are (the standard default is Blob).
  upstream.binaryType = server.binaryType = "arraybuffer";
  new RealtimeSession(o, sessionId, admitted?.maxBudget ?? null, server, upstream).start();
  return new Response(null, { status: 101, webSocket: client, headers: o.protocol ? { "sec-websocket-protocol": o.protocol } : {} });
}

class RealtimeSession {
  private readonly startedAt = Date.now();
  private responses = 0;
  private spent = 0;
  private closed = false;
  /** Settlements in order, so each budget check sees the ones before it. */
  private settling: Promise<void> = Promise.resolve();
  private readonly apiBase: string;

  constructor(
    private readonly o: RealtimeOpen,
    private readonly id: string,
    private readonly maxBudget: number | null,
    private readonly client: WebSocket,
    private readonly upstream: WebSocket,
  ) {
    this.apiBase = realtimeTarget(o.deployment, o.env, undefined).apiBase;
  }

  start(): void {
    this.client.addEventListener("message", (e) => this.forward(this.upstream, e.data));
    this.upstream.addEventListener("message", (e) => {
      this.forward(this.client, e.data);
      // Only text frames that can be one are parsed: audio deltas pass untouched.
      if (typeof e.data === "string" && e.data.includes('"response.done"')) this.responseDone(e.data);
    });
    this.client.addEventListener("close", (e) => this.end(this.upstream, e.code, e.reason, "aborted"));
    this.upstream.addEventListener("close", (e) => this.end(this.client, e.code, e.reason, "success"));
    this.client.addEventListener("error", () => this.end(this.upstream, UPSTREAM_ERROR, "client error", "aborted"));
    this.upstream.addEventListener("error", () => this.end(this.client, UPSTREAM_ERROR, "upstream error", "failure"));
  }

  private forward(to: WebSocket, data: string | ArrayBuffer): void {
    if (this.closed) return;
    try {
      to.send(data);
    } catch {
      // The other side is closing: its close event ends the session.
    }
  }

  private responseDone(text: string): void {
    let event: { type?: string; response?: { id?: string; status?: string; usage?: RealtimeUsage } };
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (event.type !== "response.done") return;
    const n = ++this.responses;
    this.settling = this.settling.then(() => this.charge(event.response?.id, event.response?.status, event.response?.usage, n));
    inBackground(this.settling);
  }

  private async charge(responseId: string | undefined, status: string | undefined, usage: RealtimeUsage | undefined, n: number): Promise<void> {
    const loading = priceBook(this.o.env);
    const book = loading instanceof Promise ? await loading : loading;
    const cost = responseCost(this.o.deployment, usage, book);
    this.spent += cost.cost;
    await settleSideCall(
      this.o.env,
      this.call({
        requestId: uuidv7(),
        status: status === "failed" ? "failure" : "success",
        cost: cost.cost,
        usage: { prompt_tokens: cost.promptTokens, completion_tokens: cost.completionTokens, cached_tokens: cost.cachedTokens },
        unpriced: cost.unpriced,
        metadata: { realtime_session_id: this.id, realtime_response_id: responseId ?? null, realtime_response: n, ...(cost.unpriced ? { price_unknown: true } : {}) },
      }),
      this.o.keepLogRow,
    );
    await this.checkBudget();
  }

  /** The key's budget spent (by this session or anything else): the session ends with an error event. */
  private async checkBudget(): Promise<void> {
    if (this.maxBudget === null || this.closed || !this.o.principal.token) return;
    const { spend } = await keySnapshot(this.o.env, this.o.principal.token).catch(() => ({ spend: 0 }));
    if (spend < this.maxBudget) return;
    const message = `Budget has been exceeded! Current cost: ${Number(spend.toPrecision(6))}, Max budget: ${this.maxBudget}. The gateway closed this realtime session.`;
    this.forward(this.client, JSON.stringify({ type: "error", event_id: `event_${uuidv7()}`, error: { type: "budget_exceeded", code: "budget_exceeded", message, param: null, event_id: null } }));
    this.end(this.upstream, POLICY, "budget exceeded", "success");
    this.end(this.client, POLICY, "budget exceeded", "success");
  }

  /** Closes `other` (the side that did not close) and settles the session's own admission. */
  private end(other: WebSocket, code: number, reason: string, status: SideCall["status"]): void {
    try {
      other.close(closeCode(code), reason.slice(0, 120));
    } catch {
      // already closed
    }
    if (this.closed) return;
    this.closed = true;
    this.settling = this.settling.then(() =>
      settleSideCall(
        this.o.env,
        this.call({ requestId: this.id, status, cost: 0, metadata: { realtime_session: true, realtime_responses: this.responses, realtime_session_spend: this.spent } }),
        this.o.keepLogRow,
      ),
    );
    inBackground(this.settling);
  }

  private call(part: Pick<SideCall, "requestId" | "status" | "cost" | "metadata"> & Partial<SideCall>): SideCall {
    const d = this.o.deployment;
    return {
      principal: this.o.principal,
      token: this.o.token,
      callType: "_arealtime",
      model: d.model,
      modelGroup: this.o.group.name,
      modelId: d.id,
      provider: d.provider,
      apiBase: this.apiBase,
      startedAt: part.requestId === this.id ? this.startedAt : Date.now(),
      endedAt: Date.now(),
      ...part,
    };
  }
}

/** Codes a peer may send on: 1005/1006/1015 are reserved for the runtime (no code, abnormal, TLS). */
function closeCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 || code < 1000 || code > 4999 ? 1000 : code;
}
