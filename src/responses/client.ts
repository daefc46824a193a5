// One POST /v1/responses call as the gateway's chain sees it: a chat call (so keys, limits, spend,
// routing and every chat adapter apply unchanged) whose client speaks the Responses API. Deployments
// that speak it natively get the client's request as is (a passthrough); every other one gets the
// chat form, and its answer is turned back into a Response (JSON or events). The client object also
// remembers what was answered, for the stored record.
import { GatewayError } from "../errors";
import { nowSeconds } from "../lib/ids";
import type { ClientApi, LlmCall } from "../core/call";
import type { ClientStreamFormat, Deployment, ModelGroup, StreamTranslator } from "../core/provider";
import type { ChatCompletion, ChatRequest } from "../schema/openai";
import type { ResponseObject, ResponsesRequest } from "../schema/responses";
import { responseIdOfItem } from "./items";
import { nativeBody, speaksResponses } from "./native";
import { type StoredResponse, bridgedRecord, conversationFor, nativeRecord, previousOf } from "./record";
import { type Conversation, estimateChatRequest, inputItemsOf, toChatRequest } from "./request";
import { type ResponseContext, newResponseContext, toResponse } from "./response";
import { ResponsesStreamWriter, failureCode } from "./stream";

/** What the last attempt answered with: the bridge's Response (JSON, or the stream writer's), or a native deployment's. */
type Served = { kind: "bridged"; response?: ResponseObject; writer?: ResponsesStreamWriter } | { kind: "native"; id?: string };

const servesNatively = (d: Deployment) => speaksResponses(d) && !!d.adapter.passthrough?.responses;

/** An `error` event in OpenAI's stream shape, for a native stream that broke after it started. */
function nativeErrorFrame(error: GatewayError): string {
  return `event: error\ndata: ${JSON.stringify({ type: "error", code: failureCode(error.status), message: error.message, param: null })}\n\n`;
}

export class ResponsesClient implements ClientApi {
  readonly api = "responses";
  readonly callType = "aresponses";
  readonly headers = {};
  readonly body: Record<string, unknown>;
  readonly ctx: ResponseContext;
  private served: Served | undefined;

  constructor(
    readonly request: ResponsesRequest,
    /** The bridge's conversation; absent when only a native deployment can serve the request. */
    readonly conversation: Conversation | undefined,
    /** Why bridged deployments cannot serve it (they answer this 400). */
    readonly needsPassthrough: GatewayError | undefined,
    fromGateway: boolean,
  ) {
    this.ctx = newResponseContext(request);
    this.body = nativeBody(request, conversation, fromGateway);
  }

  native(deployment: Deployment): boolean {
    return speaksResponses(deployment);
  }

  fromOpenAI(completion: ChatCompletion): ResponseObject {
    const response = toResponse(completion, this.ctx);
    this.served = { kind: "bridged", response };
    return response;
  }

  streamFormat(passthrough: boolean): ClientStreamFormat {
    if (!passthrough) {
      const writer = new ResponsesStreamWriter(this.ctx);
      this.served = { kind: "bridged", writer };
      return writer;
    }
    const served: Served = (this.served = { kind: "native" });
    return {
      write: (chunk) => (typeof chunk === "string" ? chunk : ""),
      end: (translator: StreamTranslator) => {
        served.id = translator.id;
        return "";
      },
      error: nativeErrorFrame,
    };
  }

  /**
   * The record to keep once the call answered, if any: the bridge's Response with its conversation,
   * or who owns a native deployment's response (whose id a JSON answer's body gives: `nativeJson`).
   */
  async recordOf(call: LlmCall, owner: string, nativeJson: () => Promise<unknown>): Promise<StoredResponse | undefined> {
    if (this.request.store === false || !call.deployment) return undefined;
    const served = this.served ?? { kind: "native" };
    if (served.kind === "bridged") {
      const response = served.response ?? served.writer?.response;
      return response && this.conversation ? bridgedRecord(owner, this.request.model, this.conversation, response) : undefined;
    }
    const id = served.id || ((await nativeJson().catch(() => undefined)) as { id?: unknown } | undefined)?.id;
    return typeof id === "string" && id ? nativeRecord(owner, this.request.model, id, call.deployment.id, nowSeconds()) : undefined;
  }
}

// Narrowed groups are made once per isolate, so the router sees one stable group object per narrowing.
const nativeGroups = new WeakMap<ModelGroup, ModelGroup>();
const pinnedGroups = new WeakMap<Deployment, ModelGroup>();

/** The group's native deployments as a group of the same name (the group itself when all are). */
function nativeOnly(group: ModelGroup): ModelGroup {
  if (group.deployments.every(servesNatively)) return group;
  let narrowed = nativeGroups.get(group);
  if (!narrowed) nativeGroups.set(group, (narrowed = { name: group.name, deployments: group.deployments.filter(servesNatively) }));
  return narrowed;
}

function pinned(group: ModelGroup, deployment: Deployment): ModelGroup {
  if (group.deployments.length === 1) return group;
  let narrowed = pinnedGroups.get(deployment);
  if (!narrowed) pinnedGroups.set(deployment, (narrowed = { name: group.name, deployments: [deployment] }));
  return narrowed;
}

export interface PlannedCall {
  /** The chat form the chain carries (sent to bridged deployments; estimates and limits for all). */
  chat: ChatRequest;
  /** The group to route in: narrowed to native deployments, or to the one holding a native previous response. */
  group: ModelGroup;
  client: ResponsesClient;
}

/**
 * How to serve a Responses request in `group`, given the stored records it refers to (loaded for
 * `recordIdsFor(req)`, `owner`'s only). An unknown previous_response_id is a 400. A request the
 * bridge cannot translate (built-in tools, a native previous response, ...) goes to the group's
 * native deployments, or is refused when it has none. A native previous response is continued on
 * the deployment that holds it when the group has it, as LiteLLM does.
 */
export function planResponsesCall(req: ResponsesRequest, group: ModelGroup, records: ReadonlyMap<string, StoredResponse>, owner: string): PlannedCall {
  const previous = previousOf(req, records, owner);
  const hasNative = group.deployments.some(servesNatively);
  let conversation: Conversation | undefined;
  let chat: ChatRequest;
  let refusal: GatewayError | undefined;
  try {
    conversation = conversationFor(req, records, owner);
    chat = toChatRequest(req, conversation);
  } catch (err) {
    if (!(err instanceof GatewayError) || err.status !== 400 || !hasNative) throw err;
    refusal = err;
    conversation = undefined;
    chat = estimateChatRequest(req);
  }
  const holder = previous?.kind === "native" ? group.deployments.find((d) => d.id === previous.deployment_id && servesNatively(d)) : undefined;
  const routed = holder ? pinned(group, holder) : refusal ? nativeOnly(group) : group;
  const fromGateway = previous?.kind === "bridged" || inputItemsOf(req).some((item) => item.type === "item_reference" && !!responseIdOfItem(item.id as string));
  return { chat, group: routed, client: new ResponsesClient(req, conversation, refusal, fromGateway) };
}
