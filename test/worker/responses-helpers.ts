// Shared by the Responses bridge tests: a parsed request and a chat completion to convert.
import type { ChatCompletion, Usage } from "../../src/schema/openai";
import { type ResponsesRequest, responsesRequestSchema } from "../../src/schema/responses";

export const parseResponsesRequest = (body: Record<string, unknown>): ResponsesRequest => responsesRequestSchema.parse({ model: "claude", ...body });

export type FinishReason = ChatCompletion["choices"][number]["finish_reason"];

/** A chat completion of `message` (its first choice), as an adapter hands it back. */
export const chatCompletion = (message: Record<string, unknown>, finish: FinishReason, usage: Usage): ChatCompletion => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "claude-sonnet-4-5",
  choices: [{ index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: finish }],
  usage,
});
