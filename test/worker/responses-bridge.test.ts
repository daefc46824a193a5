// The Responses API bridge both ways (src/responses/): the request schema, a Responses request as a
// chat-completions request (instructions, tools, images, files, reasoning, json_schema, a whole
// conversation with tool calls and their outputs), what it refuses by name, and a chat completion as
// the Response object. Every chat request built is also checked by the chat schema the gateway
// validates with, and the output shapes against the openai SDK's types (at compile time).
import type { ResponseOutputItem, ResponseUsage as SdkUsage } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { type ChatRequest, chatRequestSchema } from "../../src/schema/openai";
import { decodeThinking, responseIdOfItem } from "../../src/responses/items";
import { toChatRequest } from "../../src/responses/request";
import { newResponseContext, toResponse } from "../../src/responses/response";
import { type OutputItem, type ResponseUsage, responsesRequestSchema } from "../../src/schema/responses";
import { type FinishReason, chatCompletion, parseResponsesRequest as parse } from "./responses-helpers";

// Compile-time: what the bridge answers has the openai SDK's shapes.
const _items = (item: OutputItem): ResponseOutputItem => item;
const _usage = (usage: ResponseUsage): SdkUsage => usage;
void _items;
void _usage;

/** The bridge's chat request, which must pass the chat schema the gateway validates every chat call with. */
function chat(body: Record<string, unknown>): ChatRequest {
  const request = toChatRequest(parse(body));
  expect(chatRequestSchema.safeParse(request).success).toBe(true);
  return request;
}

function refusal(body: Record<string, unknown>): { status: number; message: string; param: string | null } {
  try {
    toChatRequest(parse(body));
  } catch (err) {
    const e = err as { status: number; message: string; param: string | null };
    return { status: e.status, message: e.message, param: e.param };
  }
  throw new Error("expected a refusal");
}

const weatherTool = { type: "function", name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true };

describe("the Responses request schema", () => {
  it("takes OpenAI's item shapes: easy messages without type, parts, calls, outputs, reasoning; unknown item and tool types pass for native deployments", () => {
    const req = parse({
      input: [
        { role: "user", content: [{ type: "input_text", text: "hi" }, { type: "input_image", image_url: "https://x/y.png" }] },
        { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search" } },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}", future_field: 1 },
      ],
      tools: [{ type: "web_search", search_context_size: "low" }, weatherTool],
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "abc",
    });
    expect(req.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }, { type: "input_image", image_url: "https://x/y.png" }] },
      { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search" } },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}", future_field: 1 },
    ]);
    expect(req.tools?.[0]).toEqual({ type: "web_search", search_context_size: "low" });
    expect((req as Record<string, unknown>).prompt_cache_key).toBe("abc");
  });

  it("names the bad field of a known item or part", () => {
    const issue = (body: Record<string, unknown>) => responsesRequestSchema.safeParse({ model: "m", ...body }).error?.issues[0];
    expect(issue({ input: [{ role: "user", content: "ok" }, { type: "function_call", name: "f", arguments: "{}" }] })).toMatchObject({ path: ["input", 1, "call_id"] });
    expect(issue({ input: [{ role: "user", content: [{ type: "input_text" }] }] })).toMatchObject({ path: ["input", 0, "content", 0, "text"] });
    expect(issue({ input: [{ role: "tool", content: "x" }] })).toMatchObject({ path: ["input", 0, "role"] });
    expect(issue({ tools: [{ type: "function" }] })).toMatchObject({ path: ["tools", 0, "name"] });
    expect(issue({ text: { format: { type: "json_schema", schema: {} } } })).toMatchObject({ path: ["text", "format", "name"] });
    expect(issue({ tool_choice: { type: "function" } })).toMatchObject({ path: ["tool_choice", "name"] });
    expect(issue({ tool_choice: { type: "allowed_tools", tools: [] } })).toMatchObject({ path: ["tool_choice", "mode"] });
    expect(issue({ input: 5 })).toMatchObject({ path: ["input"], message: "input must be a string or an array of input items" });
    expect(issue({ model: "" })).toMatchObject({ path: ["model"], message: "model is required" });
  });
});

describe("a Responses request as a chat request", () => {
  it("maps instructions, parts, tools, tool_choice, reasoning, json_schema, limits and stream", () => {
    expect(
      chat({
        instructions: "Answer in French.",
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: "What is in this picture and this file?" },
              { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" },
              { type: "input_file", filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
            ],
          },
        ],
        tools: [weatherTool],
        tool_choice: { type: "function", name: "get_weather" },
        parallel_tool_calls: false,
        reasoning: { effort: "high", summary: "auto" },
        text: { format: { type: "json_schema", name: "answer", schema: { type: "object", properties: {} }, strict: true, description: "The answer" } },
        max_output_tokens: 300,
        temperature: 0.2,
        top_p: 0.9,
        user: "u-1",
        metadata: { session: "s1" },
        stream: true,
        store: false,
        truncation: "auto",
        include: ["reasoning.encrypted_content"],
        num_retries: 2,
      }),
    ).toEqual({
      model: "claude",
      messages: [
        { role: "system", content: "Answer in French." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture and this file?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
          ],
        },
      ],
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather by city", parameters: weatherTool.parameters, strict: true } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: {} }, strict: true, description: "The answer" } },
      max_completion_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      reasoning_effort: "high",
      user: "u-1",
      metadata: { session: "s1" },
      num_retries: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("a string input is one user message; json_object and text formats; no tools means no tool settings", () => {
    expect(chat({ input: "hello", text: { format: { type: "json_object" } }, tool_choice: "auto", parallel_tool_calls: true })).toEqual({
      model: "claude",
      messages: [{ role: "user", content: "hello" }],
      response_format: { type: "json_object" },
    });
    expect(chat({ input: "hello", text: { format: { type: "text" } } })).toEqual({ model: "claude", messages: [{ role: "user", content: "hello" }] });
    expect(chat({ input: "hello", reasoning: { effort: "xhigh" } }).reasoning_effort).toBe("high");
  });

  it("turns a conversation into chat turns: reasoning, text and calls merge into one assistant message, outputs follow as tool messages", () => {
    const thinking = toResponse(
      {
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: null, reasoning_content: "hmm", thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "sig-1" }] } as never, finish_reason: "stop" }],
      },
      newResponseContext(parse({})),
    ).output[0];
    const request = chat({
      input: [
        { role: "developer", content: "Use tools." },
        { role: "user", content: "Weather in Paris and Rome?" },
        thinking,
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking both.", annotations: [] }], status: "completed", id: "msg_1" },
        { type: "function_call", call_id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "call_b", name: "get_weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "call_a", output: '{"temp":21}' },
        {
          type: "function_call_output",
          call_id: "call_b",
          output: [
            { type: "input_text", text: "18 degrees, radar:" },
            { type: "input_image", image_url: "https://example.com/radar.png" },
          ],
        },
        { role: "user", content: "Thanks. Which is warmer?" },
      ],
      tools: [weatherTool],
    });
    expect(request.messages).toEqual([
      { role: "developer", content: "Use tools." },
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking both.",
        thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "sig-1" }],
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: '{"temp":21}' },
      { role: "tool", tool_call_id: "call_b", content: "18 degrees, radar:" },
      { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/radar.png" } }] },
      { role: "user", content: "Thanks. Which is warmer?" },
    ]);
  });

  it("reasoning text is not sent back, and OpenAI's own encrypted reasoning alone makes no assistant message", () => {
    const request = chat({
      input: [
        { role: "user", content: "Hi" },
        { type: "reasoning", id: "rs_openai", summary: [{ type: "summary_text", text: "Greeting." }], encrypted_content: "gAAAAABopenai-only" },
        { role: "user", content: "Still there?" },
      ],
    });
    expect(request.messages).toEqual([
      { role: "user", content: "Hi" },
      { role: "user", content: "Still there?" },
    ]);
  });

  it("allowed_tools narrows the tool list and keeps its mode", () => {
    const other = { ...weatherTool, name: "get_time" };
    const request = chat({ input: "x", tools: [weatherTool, other], tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "get_time" }] } });
    expect(request.tools?.map((t) => t.function.name)).toEqual(["get_time"]);
    expect(request.tool_choice).toBe("required");
  });

  it("refuses by name what only a native deployment can do", () => {
    const native = /needs a deployment that speaks the Responses API natively \(openai\/, azure\/, or model_info.supported_endpoints: \["\/v1\/responses"\]\); model 'claude' is served through chat completions/;
    const web = refusal({ input: "news?", tools: [weatherTool, { type: "web_search" }] });
    expect(web).toMatchObject({ status: 400, param: "tools[1]" });
    expect(web.message).toMatch(/^tool 'web_search' is one of OpenAI's built-in tools, which needs a deployment/);
    expect(web.message).toMatch(native);
    expect(refusal({ input: [{ type: "web_search_call", id: "ws", status: "completed" }] })).toMatchObject({ param: "input[0]", message: expect.stringMatching(/^input items of type 'web_search_call'/) });
    expect(refusal({ input: "x", tools: [weatherTool], tool_choice: { type: "file_search" } })).toMatchObject({ param: "tool_choice" });
    expect(refusal({ input: "x", background: true })).toMatchObject({ param: "background" });
    expect(refusal({ input: "x", prompt: { id: "pmpt_1" } })).toMatchObject({ param: "prompt" });
    expect(refusal({ input: "x", conversation: "conv_1" })).toMatchObject({ param: "conversation" });
    expect(refusal({ input: [{ role: "user", content: [{ type: "input_image", file_id: "file-1" }] }] })).toMatchObject({ param: "input[0].content[0]", message: expect.stringMatching(/file_id/) });
    expect(refusal({ input: [{ role: "user", content: [{ type: "input_file", file_url: "https://x/a.pdf" }] }] })).toMatchObject({ param: "input[0].content[0]" });
    expect(refusal({ input: [{ role: "user", content: [{ type: "input_file", file_id: "file-1" }] }] })).toMatchObject({ param: "input[0].content[0]" });
    expect(refusal({ input: [{ role: "user", content: [{ type: "input_audio", data: "..." }] }] })).toMatchObject({ message: expect.stringMatching(/^content parts of type 'input_audio'/) });
    expect(refusal({ input: [{ type: "item_reference", id: "msg_nope" }] })).toMatchObject({ param: "input[0]", message: "Item with id 'msg_nope' not found." });
    expect(refusal({ input: [] })).toMatchObject({ param: "input" });
  });
});

const usage = { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 30 }, completion_tokens_details: { reasoning_tokens: 5 }, cache_creation_input_tokens: 10 };
const completion = (message: Record<string, unknown>, finish: FinishReason = "stop") => chatCompletion(message, finish, usage);

describe("a chat completion as a Response object", () => {
  it("reasoning, text and tool calls become output items with ids tied to the response; usage in Responses terms; the request echoed", () => {
    const ctx = newResponseContext(parse({ input: "x", instructions: "Be brief.", tools: [weatherTool], temperature: 0.3, previous_response_id: "resp_0123456789abcdef01234567", metadata: { a: "b" } }));
    const response = toResponse(
      completion(
        {
          content: "Let me look.",
          reasoning_content: "Need the weather.",
          thinking_blocks: [{ type: "thinking", thinking: "Need the weather.", signature: "sig-9" }],
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
        },
        "tool_calls",
      ),
      ctx,
    );
    const suffix = ctx.id.slice(5);
    expect(response).toEqual({
      id: ctx.id,
      object: "response",
      created_at: ctx.createdAt,
      status: "completed",
      background: false,
      error: null,
      incomplete_details: null,
      instructions: "Be brief.",
      max_output_tokens: null,
      model: "claude-sonnet-4-5",
      output: [
        { id: `rs_${suffix}_0`, type: "reasoning", summary: [{ type: "summary_text", text: "Need the weather." }], encrypted_content: expect.stringMatching(/^gwthink1\./) },
        { id: `msg_${suffix}_1`, type: "message", status: "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Let me look." }], role: "assistant" },
        { id: `fc_${suffix}_2`, type: "function_call", status: "completed", arguments: '{"city":"Paris"}', call_id: "call_1", name: "get_weather" },
      ],
      parallel_tool_calls: true,
      previous_response_id: "resp_0123456789abcdef01234567",
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 0.3,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [weatherTool],
      top_p: 1,
      truncation: "disabled",
      usage: { input_tokens: 50, input_tokens_details: { cached_tokens: 30, cache_write_tokens: 10 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 70 },
      user: null,
      metadata: { a: "b" },
    });
    expect(decodeThinking((response.output[0] as { encrypted_content: string }).encrypted_content)).toEqual([{ type: "thinking", thinking: "Need the weather.", signature: "sig-9" }]);
    expect(responseIdOfItem(response.output[2].id)).toBe(ctx.id);
  });

  it("tool calls alone give no message; length and content_filter give an incomplete response", () => {
    const ctx = newResponseContext(parse({ input: "x" }));
    expect(toResponse(completion({ tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] }, "tool_calls"), ctx).output.map((i) => i.type)).toEqual(["function_call"]);
    const cut = toResponse(completion({ content: "Once upon a" }, "length"), ctx);
    expect(cut).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [{ type: "message", status: "incomplete" }] });
    expect(toResponse(completion({ content: "" }, "content_filter"), ctx)).toMatchObject({ status: "incomplete", incomplete_details: { reason: "content_filter" } });
    expect(toResponse(completion({ content: null, refusal: "I can't help with that." }), ctx).output).toEqual([
      expect.objectContaining({ type: "message", content: [{ type: "refusal", refusal: "I can't help with that." }] }),
    ]);
  });

  it("an empty answer is one empty message; a call without an id gets one", () => {
    const ctx = newResponseContext(parse({ input: "x" }));
    expect(toResponse(completion({ content: "" }), ctx).output).toEqual([expect.objectContaining({ type: "message", content: [{ type: "output_text", annotations: [], logprobs: [], text: "" }] })]);
    const call = toResponse(completion({ tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] }, "tool_calls"), ctx).output[0];
    expect((call as { call_id: string }).call_id).toMatch(/^call_[0-9a-f]{24}$/);
  });
});
