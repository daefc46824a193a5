// Which deployments speak the Responses API themselves (openai/, azure/, or any deployment with
// model_info.supported_endpoints: ["/v1/responses"], as LiteLLM), and what such a deployment is sent
// when the conversation it continues is one the gateway holds (a bridged previous response). The
// passthrough itself (body, usage, stream frames) is the adapters': src/providers/shared/responses.ts.
import type { InputItem, ResponsesRequest } from "../schema/responses";
import type { Conversation } from "./request";

const NATIVE_PROVIDERS = new Set(["openai", "azure"]);
const ENDPOINTS = new Set(["/v1/responses", "/responses"]);

/** True when the deployment takes POST /v1/responses itself. An explicit supported_endpoints list decides; else the provider. */
export function speaksResponses(deployment: { provider: string; info: object }): boolean {
  const endpoints = (deployment.info as { supported_endpoints?: unknown }).supported_endpoints;
  if (Array.isArray(endpoints)) return endpoints.some((e) => ENDPOINTS.has(e as string));
  return NATIVE_PROVIDERS.has(deployment.provider);
}

const textOf = (content: unknown) =>
  typeof content === "string" ? content : Array.isArray(content) ? content.map((p: { text?: unknown }) => (typeof p.text === "string" ? p.text : "")).join("") : "";

/**
 * An item of the gateway's own history in the form a native deployment accepts as input: without
 * the gateway's item ids (the upstream would look them up), assistant text as plain content, and no
 * reasoning (its state is the gateway's encoding, meaningless upstream).
 */
function portable(item: InputItem): InputItem[] {
  const { id: _id, status: _status, ...rest } = item as InputItem & { status?: unknown };
  if (item.type === "reasoning") return [];
  if (item.type === "message" && item.role === "assistant") return [{ type: "message", role: "assistant", content: textOf(item.content) }];
  return [rest as InputItem];
}

/**
 * The client's request for a native deployment. It goes as it came, unless it continues a
 * conversation the gateway holds (a previous response or item_references of a bridged deployment):
 * then that conversation is spelled out as input, since the upstream has never seen it.
 */
export function nativeBody(req: ResponsesRequest, conversation: Conversation | undefined, fromGateway: boolean): ResponsesRequest {
  if (!conversation || !fromGateway) return req;
  const { previous_response_id: _previous, ...rest } = req;
  return { ...rest, input: [...conversation.history, ...conversation.input].flatMap(portable) };
}
