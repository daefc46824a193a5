// The Responses stream writer (src/responses/stream.ts): chat-completion chunks in, OpenAI's
// Responses events out, checked event by event on a realistic upstream sequence (thinking with its
// signature, text, a tool call whose arguments arrive over several chunks, a second call, usage),
// then the endings: length, an empty answer, a failure mid-stream, interleaved tool arguments.
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import type { ChatCompletionChunk } from "../../src/schema/openai";
import type { ClientStreamFormat } from "../../src/core/provider";
import { decodeThinking } from "../../src/responses/items";
import { newResponseContext } from "../../src/responses/response";
import { ResponsesStreamWriter } from "../../src/responses/stream";
import { parseResponsesRequest } from "./responses-helpers";

const request = (body: Record<string, unknown>) => parseResponsesRequest({ input: "hi", ...body });

const base = { id: "chatcmpl-1", object: "chat.completion.chunk" as const, created: 1_700_000_000, model: "claude-sonnet-4-5" };
/** A delta as upstreams send them (after the first, a tool call's deltas carry only arguments). */
type Delta = Record<string, unknown>;
const chunk = (delta: Delta, finish: ChatCompletionChunk["choices"][number]["finish_reason"] = null) =>
  ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] }) as ChatCompletionChunk;

/** SSE text -> events, checking each frame's `event:` line names its data's type. */
function parse(sse: string): ResponseStreamEvent[] {
  return sse
    .split("\n\n")
    .filter((frame) => frame.trim())
    .map((frame) => {
      const [eventLine, dataLine, ...rest] = frame.split("\n");
      expect(rest).toEqual([]);
      const data = JSON.parse(dataLine.replace(/^data: /, "")) as ResponseStreamEvent;
      expect(eventLine).toBe(`event: ${data.type}`);
      return data;
    });
}

const usage = { prompt_tokens: 120, completion_tokens: 45, total_tokens: 165, prompt_tokens_details: { cached_tokens: 100 }, completion_tokens_details: { reasoning_tokens: 20 } };

describe("ResponsesStreamWriter", () => {
  it("turns a realistic chunk sequence into OpenAI's events, in order, one by one", () => {
    const ctx = newResponseContext(request({ tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }], reasoning: { effort: "low" } }));
    const writer = new ResponsesStreamWriter(ctx);
    const sent: string[] = [];
    const upstream: (ChatCompletionChunk | string)[] = [
      chunk({ role: "assistant", content: "" }),
      chunk({ reasoning_content: "Weather, " }),
      chunk({ reasoning_content: "so call the tool." }),
      chunk({ thinking_blocks: [{ type: "thinking", thinking: "", signature: "sig-abc" }] }),
      chunk({ content: "Checking" }),
      JSON.stringify(chunk({ content: " now." })), // an OpenAI upstream's chunk passed as its JSON text
      chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Pa' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }] }),
      chunk({}, "tool_calls"),
      { ...base, choices: [], usage },
    ];
    for (const c of upstream) sent.push(writer.write(c));
    sent.push(writer.end({}));

    // Nothing is held back: each upstream chunk's events go out with it.
    expect(sent.map((s) => parse(s).map((e) => e.type))).toEqual([
      ["response.created", "response.in_progress"],
      ["response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta"],
      ["response.reasoning_summary_text.delta"],
      [],
      [
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
      ],
      ["response.output_text.delta"],
      ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.output_item.added"],
      ["response.function_call_arguments.delta"],
      ["response.function_call_arguments.delta"],
      ["response.function_call_arguments.delta"],
      ["response.function_call_arguments.done", "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta"],
      [],
      [],
      ["response.function_call_arguments.done", "response.output_item.done", "response.completed"],
    ]);

    const events = parse(sent.join(""));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const suffix = ctx.id.slice("resp_".length);
    const [rs, msg, fc1, fc2] = [0, 1, 2, 3].map((n) => `${["rs", "msg", "fc", "fc"][n]}_${suffix}_${n}`);
    const created = events[0] as Extract<ResponseStreamEvent, { type: "response.created" }>;
    expect(created.response).toMatchObject({ id: ctx.id, object: "response", status: "in_progress", model: "claude-sonnet-4-5", output: [], usage: null, reasoning: { effort: "low", summary: null } });
    const signed = [{ type: "thinking", thinking: "Weather, so call the tool.", signature: "sig-abc" }];
    const reasoningDone = (events[8] as Extract<ResponseStreamEvent, { type: "response.output_item.done" }>).item as { encrypted_content?: string };
    expect(decodeThinking(reasoningDone.encrypted_content)).toEqual(signed);
    const encrypted = reasoningDone.encrypted_content;

    expect(events.slice(2)).toEqual([
      { type: "response.output_item.added", sequence_number: 2, output_index: 0, item: { id: rs, type: "reasoning", summary: [] } },
      { type: "response.reasoning_summary_part.added", sequence_number: 3, item_id: rs, output_index: 0, summary_index: 0, part: { type: "summary_text", text: "" } },
      { type: "response.reasoning_summary_text.delta", sequence_number: 4, item_id: rs, output_index: 0, summary_index: 0, delta: "Weather, " },
      { type: "response.reasoning_summary_text.delta", sequence_number: 5, item_id: rs, output_index: 0, summary_index: 0, delta: "so call the tool." },
      { type: "response.reasoning_summary_text.done", sequence_number: 6, item_id: rs, output_index: 0, summary_index: 0, text: "Weather, so call the tool." },
      {
        type: "response.reasoning_summary_part.done",
        sequence_number: 7,
        item_id: rs,
        output_index: 0,
        summary_index: 0,
        part: { type: "summary_text", text: "Weather, so call the tool." },
      },
      {
        type: "response.output_item.done",
        sequence_number: 8,
        output_index: 0,
        item: { id: rs, type: "reasoning", summary: [{ type: "summary_text", text: "Weather, so call the tool." }], encrypted_content: encrypted },
      },
      { type: "response.output_item.added", sequence_number: 9, output_index: 1, item: { id: msg, type: "message", status: "in_progress", content: [], role: "assistant" } },
      {
        type: "response.content_part.added",
        sequence_number: 10,
        item_id: msg,
        output_index: 1,
        content_index: 0,
        part: { type: "output_text", annotations: [], logprobs: [], text: "" },
      },
      { type: "response.output_text.delta", sequence_number: 11, item_id: msg, output_index: 1, content_index: 0, delta: "Checking", logprobs: [] },
      { type: "response.output_text.delta", sequence_number: 12, item_id: msg, output_index: 1, content_index: 0, delta: " now.", logprobs: [] },
      { type: "response.output_text.done", sequence_number: 13, item_id: msg, output_index: 1, content_index: 0, text: "Checking now.", logprobs: [] },
      {
        type: "response.content_part.done",
        sequence_number: 14,
        item_id: msg,
        output_index: 1,
        content_index: 0,
        part: { type: "output_text", annotations: [], logprobs: [], text: "Checking now." },
      },
      {
        type: "response.output_item.done",
        sequence_number: 15,
        output_index: 1,
        item: { id: msg, type: "message", status: "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Checking now." }], role: "assistant" },
      },
      {
        type: "response.output_item.added",
        sequence_number: 16,
        output_index: 2,
        item: { id: fc1, type: "function_call", status: "in_progress", arguments: "", call_id: "call_1", name: "get_weather" },
      },
      { type: "response.function_call_arguments.delta", sequence_number: 17, item_id: fc1, output_index: 2, delta: '{"ci' },
      { type: "response.function_call_arguments.delta", sequence_number: 18, item_id: fc1, output_index: 2, delta: 'ty":"Pa' },
      { type: "response.function_call_arguments.delta", sequence_number: 19, item_id: fc1, output_index: 2, delta: 'ris"}' },
      { type: "response.function_call_arguments.done", sequence_number: 20, item_id: fc1, output_index: 2, arguments: '{"city":"Paris"}' },
      {
        type: "response.output_item.done",
        sequence_number: 21,
        output_index: 2,
        item: { id: fc1, type: "function_call", status: "completed", arguments: '{"city":"Paris"}', call_id: "call_1", name: "get_weather" },
      },
      {
        type: "response.output_item.added",
        sequence_number: 22,
        output_index: 3,
        item: { id: fc2, type: "function_call", status: "in_progress", arguments: "", call_id: "call_2", name: "get_weather" },
      },
      { type: "response.function_call_arguments.delta", sequence_number: 23, item_id: fc2, output_index: 3, delta: '{"city":"Rome"}' },
      { type: "response.function_call_arguments.done", sequence_number: 24, item_id: fc2, output_index: 3, arguments: '{"city":"Rome"}' },
      {
        type: "response.output_item.done",
        sequence_number: 25,
        output_index: 3,
        item: { id: fc2, type: "function_call", status: "completed", arguments: '{"city":"Rome"}', call_id: "call_2", name: "get_weather" },
      },
      expect.objectContaining({ type: "response.completed", sequence_number: 26 }),
    ]);

    const completed = (events.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>).response;
    expect(completed).toMatchObject({ id: ctx.id, status: "completed", error: null, incomplete_details: null, model: "claude-sonnet-4-5" });
    expect(completed.output.map((i) => (i as { id: string }).id)).toEqual([rs, msg, fc1, fc2]);
    expect(completed.output[3]).toEqual({ id: fc2, type: "function_call", status: "completed", arguments: '{"city":"Rome"}', call_id: "call_2", name: "get_weather" });
    expect(completed.usage).toEqual({
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 100, cache_write_tokens: 0 },
      output_tokens: 45,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 165,
    });
    expect(writer.response).toEqual(JSON.parse(JSON.stringify(completed)));
    expect(writer.write(chunk({ content: "late" }))).toBe("");
    expect(writer.end({})).toBe("");
  });

  it("plugs into the pipe as its ClientStreamFormat; usage handed to end() (the translator's) counts", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({})));
    const format: ClientStreamFormat = writer;
    format.write(chunk({ content: "Hi" }));
    const events = parse(format.end({ id: "x", model: "m", usage, onEvent() {} }));
    const done = events.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>;
    expect(done.response.usage?.input_tokens).toBe(120);
  });

  it("finish_reason length ends with response.incomplete, the message incomplete", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({ max_output_tokens: 5 })));
    const events = parse(writer.write(chunk({ content: "Once upon" })) + writer.write(chunk({}, "length")) + writer.end({}));
    expect(events.map((e) => e.type).slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"]);
    const item = (events.at(-2) as Extract<ResponseStreamEvent, { type: "response.output_item.done" }>).item;
    expect(item).toMatchObject({ type: "message", status: "incomplete" });
    const last = events.at(-1) as Extract<ResponseStreamEvent, { type: "response.incomplete" }>;
    expect(last.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, max_output_tokens: 5 });
  });

  it("an upstream that ends without content still answers one empty message", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({})));
    const events = parse(writer.write(chunk({ role: "assistant", content: "" })) + writer.end({}));
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const done = events.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>;
    expect(done.response.output).toEqual([expect.objectContaining({ type: "message", content: [{ type: "output_text", annotations: [], logprobs: [], text: "" }] })]);
    expect(done.response.usage).toMatchObject({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });
  });

  it("a failure after the start: the open item closes incomplete, response.failed with the error, then an error event", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({})));
    const head = writer.write(chunk({ content: "Partial" }));
    const tail = parse(writer.error(new GatewayError(429, "rate_limit", "Rate limited upstream")));
    expect(parse(head).map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4]);
    expect(tail.map((e) => [e.type, e.sequence_number])).toEqual([
      ["response.output_text.done", 5],
      ["response.content_part.done", 6],
      ["response.output_item.done", 7],
      ["response.failed", 8],
      ["error", 9],
    ]);
    const failed = tail[3] as Extract<ResponseStreamEvent, { type: "response.failed" }>;
    expect(failed.response).toMatchObject({ status: "failed", error: { code: "rate_limit_exceeded", message: "Rate limited upstream" } });
    expect(failed.response.output).toEqual([expect.objectContaining({ type: "message", status: "incomplete" })]);
    expect(tail[4]).toEqual({ type: "error", sequence_number: 9, code: "rate_limit_exceeded", message: "Rate limited upstream", param: null });
    expect(writer.end({})).toBe("");
  });

  it("a failure before any chunk still opens the response first", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({})));
    expect(parse(writer.error(new GatewayError(500, "server", "boom"))).map((e) => e.type)).toEqual(["response.created", "response.in_progress", "response.failed", "error"]);
  });

  it("refuses arguments of parallel calls that interleave rather than stream a wrong call", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({})));
    writer.write(chunk({ tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "f", arguments: "{" } }] }));
    writer.write(chunk({ tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "g", arguments: "{" } }] }));
    expect(() => writer.write(chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }))).toThrow(/interleaved/);
  });

  it("gives a call id to an upstream tool call that came without one", () => {
    const writer = new ResponsesStreamWriter(newResponseContext(request({})));
    const events = parse(writer.write(chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: "{}" } }] })) + writer.end({}));
    const added = events.find((e) => e.type === "response.output_item.added") as Extract<ResponseStreamEvent, { type: "response.output_item.added" }>;
    expect(added.item).toMatchObject({ type: "function_call", name: "f" });
    expect((added.item as { call_id: string }).call_id).toMatch(/^call_[0-9a-f]{24}$/);
  });
});
