// What a mock deployment's local upstream (./upstream.ts) receives: the endpoint and the client's body.
import type { UpstreamRequest } from "../../core/provider";

export type MockPayload = { endpoint: "chat" | "completion" | "embedding"; body: { stream?: boolean | null } };

export function mockRequest(endpoint: MockPayload["endpoint"], body: object): UpstreamRequest {
  return { url: "mock://local", headers: {}, body: JSON.stringify({ endpoint, body } satisfies MockPayload) };
}
