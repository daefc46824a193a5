// A chat completion as a Responses API Response object, for bridged deployments: the assistant
// message becomes output items (reasoning, message, function calls), usage the Responses usage, and
// the request's settings are echoed as OpenAI echoes them.
import { nowSeconds } from "../lib/ids";
import type { ChatCompletion, FinishReason, Usage } from "../schema/openai";
import type { ThinkingBlock } from "../schema/openai";
import { functionCallItem, messageItem, newCallId, newResponseId, outputItemId, reasoningItem } from "./items";
import type { OutputItem, ResponseObject, ResponsesRequest } from "../schema/responses";
import { toResponseUsage } from "./usage";

/** What one Responses call knows before the upstream answers: its id and the request. */
export interface ResponseContext {
  readonly id: string;
  readonly createdAt: number;
  readonly request: ResponsesRequest;
}

export function newResponseContext(request: ResponsesRequest): ResponseContext {
  return { id: newResponseId(), createdAt: nowSeconds(), request };
}

export type ResponseStatus = ResponseObject["status"];

/** `incomplete` and why, for chat finish reasons that cut the answer short. */
export function statusFor(finish: FinishReason | undefined): { status: ResponseStatus; incomplete: ResponseObject["incomplete_details"] } {
  if (finish === "length") return { status: "incomplete", incomplete: { reason: "max_output_tokens" } };
  if (finish === "content_filter") return { status: "incomplete", incomplete: { reason: "content_filter" } };
  return { status: "completed", incomplete: null };
}

/** The Response object around `output`: the request's settings echoed with OpenAI's defaults. */
export function responseObject(
  ctx: ResponseContext,
  model: string,
  fields: Pick<ResponseObject, "status" | "output"> & Partial<Pick<ResponseObject, "error" | "incomplete_details" | "usage">>,
): ResponseObject {
  const r = ctx.request;
  return {
    id: ctx.id,
    object: "response",
    created_at: ctx.createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete_details ?? null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model,
    output: fields.output,
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: r.reasoning?.summary ?? r.reasoning?.generate_summary ?? null },
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: { format: r.text?.format ?? { type: "text" }, ...(r.text?.verbosity ? { verbosity: r.text.verbosity } : {}) },
    tool_choice: r.tool_choice ?? "auto",
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: r.truncation ?? "disabled",
    usage: fields.usage ?? null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}

/** Usage in the Responses shape (zeros when the upstream reported none). */
export const responseUsage = (usage: Usage | undefined) => toResponseUsage(usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

/** A chat completion (its first choice) as the Response object of `ctx`. */
export function toResponse(completion: ChatCompletion, ctx: ResponseContext): ResponseObject {
  const choice = completion.choices[0];
  const m = choice?.message;
  const { status, incomplete } = statusFor(choice?.finish_reason);
  const output: OutputItem[] = [];
  const nextId = (prefix: string) => outputItemId(prefix, ctx.id, output.length);

  const thinking = ((m as { thinking_blocks?: ThinkingBlock[] } | undefined)?.thinking_blocks ?? []) as ThinkingBlock[];
  if (m?.reasoning_content || thinking.length) output.push(reasoningItem(nextId("rs"), m?.reasoning_content ?? "", thinking));
  const refusal = (m as { refusal?: string | null } | undefined)?.refusal ?? undefined;
  const toolCalls = m?.tool_calls ?? [];
  if (m?.content || refusal || !toolCalls.length) output.push(messageItem(nextId("msg"), m?.content ?? "", status === "completed" ? "completed" : "incomplete", refusal));
  for (const tc of toolCalls) output.push(functionCallItem(nextId("fc"), tc.id ?? newCallId(), tc.function.name, tc.function.arguments, "completed"));

  return responseObject(ctx, completion.model || ctx.request.model, {
    status,
    output,
    incomplete_details: incomplete,
    usage: responseUsage(completion.usage),
  });
}
