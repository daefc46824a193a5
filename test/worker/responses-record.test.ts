// What the gateway stores of a Responses call and how the next turn is built from it
// (src/responses/record.ts): a multi-turn conversation over previous_response_id with tools,
// item_reference, ownership, the size bound, input_items pages; and the helpers for deployments
// that speak the Responses API natively (src/responses/native.ts).
import { describe, expect, it } from "vitest";
import { speaksResponses } from "../../src/responses/native";
import { nativeRequestBody, nativeResponseUsage, readNativeEvent } from "../../src/providers/shared/responses";
import {
  type StoredResponse,
  bridgedRecord,
  conversationFor,
  decodeRecord,
  encodeRecord,
  inputItemsPage,
  nativeRecord,
  ownerOf,
  recordIdsFor,
} from "../../src/responses/record";
import { toChatRequest } from "../../src/responses/request";
import { newResponseContext, toResponse } from "../../src/responses/response";
import { type FinishReason, chatCompletion, parseResponsesRequest as parse } from "./responses-helpers";

const OWNER = ownerOf({ kind: "virtual_key", token: "a".repeat(64) });
const weatherTool = { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } };

const completion = (message: Record<string, unknown>, finish: FinishReason) => chatCompletion(message, finish, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });

/** One turn as the wiring will run it: load records, build the conversation, answer, store. */
function turn(store: Map<string, string>, body: Record<string, unknown>, answer: Record<string, unknown>, finish: FinishReason = "stop", owner = OWNER) {
  const request = parse(body);
  const records = new Map<string, StoredResponse>();
  for (const id of recordIdsFor(request)) {
    const record = decodeRecord(store.get(id) ?? "");
    if (record) records.set(id, record);
  }
  const conversation = conversationFor(request, records, owner);
  const chat = toChatRequest(request, conversation);
  const response = toResponse(completion(answer, finish), newResponseContext(request));
  store.set(response.id, encodeRecord(bridgedRecord(owner, request.model, conversation, response)));
  return { chat, response };
}

describe("a conversation over previous_response_id", () => {
  it("each turn sees the whole conversation from one record; instructions do not carry over; item_reference resolves", () => {
    const store = new Map<string, string>();
    const first = turn(
      store,
      { instructions: "Be brief.", input: [{ role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }, { type: "input_image", image_url: "https://x/map.png" }] }], tools: [weatherTool] },
      { content: "Checking.", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      "tool_calls",
    );
    expect(first.chat.messages[0]).toEqual({ role: "system", content: "Be brief." });
    const call = first.response.output.find((i) => i.type === "function_call")!;

    const second = turn(
      store,
      { previous_response_id: first.response.id, input: [{ type: "function_call_output", call_id: "call_1", output: '{"temp":21}' }], tools: [weatherTool] },
      { content: "21°C." },
    );
    expect(second.chat.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris?" }, { type: "image_url", image_url: { url: "https://x/map.png" } }] },
      { role: "assistant", content: "Checking.", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: '{"temp":21}' },
    ]);

    const third = turn(store, { previous_response_id: second.response.id, instructions: "Be kind.", input: "And tomorrow?" }, { content: "Sunny." });
    expect(third.chat.messages.map((m) => [m.role, m.content])).toEqual([
      ["system", "Be kind."],
      ["user", [{ type: "text", text: "Weather in Paris?" }, { type: "image_url", image_url: { url: "https://x/map.png" } }]],
      ["assistant", "Checking."],
      ["tool", '{"temp":21}'],
      ["assistant", "21°C."],
      ["user", "And tomorrow?"],
    ]);

    // Stateless with references (the AI SDK with store on): items of stored responses by id.
    const referenced = parse({ input: [{ role: "user", content: "Weather in Paris?" }, { type: "item_reference", id: call.id }, { type: "function_call_output", call_id: "call_1", output: "21" }] });
    expect(recordIdsFor(referenced)).toEqual([first.response.id]);
    const records = new Map([[first.response.id, decodeRecord(store.get(first.response.id)!)!]]);
    expect(toChatRequest(referenced, conversationFor(referenced, records, OWNER)).messages[1]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    });
  });

  it("another key's response, an unknown one, or an unknown item: OpenAI's not-found errors", () => {
    const store = new Map<string, string>();
    const { response } = turn(store, { input: "secret" }, { content: "ok" });
    const records = new Map([[response.id, decodeRecord(store.get(response.id)!)!]]);
    const other = ownerOf({ kind: "virtual_key", token: "b".repeat(64) });
    const next = parse({ previous_response_id: response.id, input: "more" });
    expect(() => conversationFor(next, records, other)).toThrow(expect.objectContaining({ status: 400, param: "previous_response_id", code: "previous_response_not_found", message: `Previous response with id '${response.id}' not found.` }));
    expect(() => conversationFor(parse({ previous_response_id: "resp_unknown", input: "x" }), records, OWNER)).toThrow(/resp_unknown' not found/);
    const itemId = response.output[0].id;
    expect(() => conversationFor(parse({ input: [{ type: "item_reference", id: itemId }] }), records, other)).toThrow(expect.objectContaining({ param: "input[0]", message: `Item with id '${itemId}' not found.` }));
    expect(() => conversationFor(parse({ input: [{ type: "item_reference", id: "msg_foreign" }] }), records, OWNER)).toThrow(/msg_foreign' not found/);
    expect(ownerOf({ kind: "master" })).toBe("master");
  });

  it("a response a native deployment made cannot be continued through the bridge", () => {
    const records = new Map([["resp_native1", nativeRecord(OWNER, "gpt", "resp_native1", "dep-1", 1)]]);
    expect(() => conversationFor(parse({ previous_response_id: "resp_native1", input: "x" }), records, OWNER)).toThrow(/speaks the Responses API natively and holds its conversation/);
  });

  it("past the size bound the record keeps the response but not the conversation, and says so on the next turn", () => {
    const store = new Map<string, string>();
    const big = "x".repeat(5000);
    const { response } = turn(store, { input: big }, { content: "ok" });
    const json = encodeRecord(decodeRecord(store.get(response.id)!)!, 2000);
    expect(new TextEncoder().encode(json).byteLength).toBeLessThanOrEqual(2000);
    const slim = decodeRecord(json)!;
    expect(slim).toMatchObject({ kind: "bridged", input: [], history: [], response: { id: response.id, output: response.output } });
    expect(() => conversationFor(parse({ previous_response_id: response.id, input: "x" }), new Map([[response.id, slim]]), OWNER)).toThrow(
      /too large for the gateway to keep its conversation \(\d+ bytes; the limit is 1800000\)\. Send the whole conversation as input/,
    );
    // Multi-byte text is measured in bytes, not characters.
    const wide = JSON.parse(store.get(response.id)!) as StoredResponse;
    expect(decodeRecord(encodeRecord({ ...wide, input: [{ type: "message", role: "user", content: "é".repeat(900) }] } as StoredResponse, 2000))).toMatchObject({ input: [] });
  });

  it("decodes only records of this version", () => {
    expect(decodeRecord("not json")).toBeUndefined();
    expect(decodeRecord(JSON.stringify({ v: 2, kind: "bridged" }))).toBeUndefined();
    const native = nativeRecord(OWNER, "gpt", "resp_n", "dep-1", 5);
    expect(decodeRecord(encodeRecord(native))).toEqual(native);
  });
});

describe("input_items", () => {
  const store = new Map<string, string>();
  const { response } = turn(
    store,
    {
      input: [
        { role: "system", content: "Sys" },
        { role: "user", content: "One" },
        { role: "assistant", content: "Two", id: "msg_client_given" },
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: "3" },
      ],
    },
    { content: "ok" },
  );
  const record = decodeRecord(store.get(response.id)!) as Extract<StoredResponse, { kind: "bridged" }>;
  const suffix = response.id.slice(5);

  it("lists the request's own items as OpenAI does: ids, statuses, content as parts, newest first by default", () => {
    const page = inputItemsPage(record);
    expect(page.data.map((i) => i.id)).toEqual([`fco_${suffix}_i4`, `fc_${suffix}_i3`, "msg_client_given", `msg_${suffix}_i1`, `msg_${suffix}_i0`]);
    expect(page).toMatchObject({ object: "list", first_id: `fco_${suffix}_i4`, last_id: `msg_${suffix}_i0`, has_more: false });
    expect(page.data[2]).toEqual({ type: "message", role: "assistant", id: "msg_client_given", status: "completed", content: [{ type: "output_text", text: "Two", annotations: [] }] });
    expect(page.data[4]).toEqual({ type: "message", role: "system", id: `msg_${suffix}_i0`, status: "completed", content: [{ type: "input_text", text: "Sys" }] });
  });

  it("pages with limit, after and before", () => {
    const first = inputItemsPage(record, { order: "asc", limit: "2" as unknown as number });
    expect(first).toMatchObject({ first_id: `msg_${suffix}_i0`, last_id: `msg_${suffix}_i1`, has_more: true });
    const second = inputItemsPage(record, { order: "asc", limit: 2, after: first.last_id! });
    expect(second.data.map((i) => i.id)).toEqual(["msg_client_given", `fc_${suffix}_i3`]);
    expect(second.has_more).toBe(true);
    expect(inputItemsPage(record, { order: "asc", before: "msg_client_given" }).data).toHaveLength(2);
    expect(inputItemsPage(record, { after: "unknown" }).data).toEqual([]);
    expect(() => inputItemsPage(record, { limit: 500 })).toThrow();
  });
});

describe("native Responses deployments", () => {
  it("openai/ and azure/ speak it; supported_endpoints decides when given", () => {
    expect(speaksResponses({ provider: "openai", info: {} })).toBe(true);
    expect(speaksResponses({ provider: "azure", info: {} })).toBe(true);
    expect(speaksResponses({ provider: "anthropic", info: {} })).toBe(false);
    expect(speaksResponses({ provider: "hosted_vllm", info: { supported_endpoints: ["/v1/chat/completions", "/v1/responses"] } })).toBe(true);
    expect(speaksResponses({ provider: "openai", info: { supported_endpoints: ["/v1/chat/completions"] } })).toBe(false);
  });

  it("the body goes up unchanged but for the model and LiteLLM's routing controls; metadata is OpenAI's and stays", () => {
    const body = { model: "gpt", input: "hi", metadata: { a: "b" }, fallbacks: ["x"], num_retries: 2, drop_params: true, tools: [{ type: "web_search" }], store: false };
    expect(nativeRequestBody(body, "gpt-4.1-mini")).toEqual({ model: "gpt-4.1-mini", input: "hi", metadata: { a: "b" }, tools: [{ type: "web_search" }], store: false });
  });

  it("reads usage from a JSON answer, in chat terms for spend", () => {
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 25 }, total_tokens: 140 };
    expect(nativeResponseUsage({ id: "resp_1", object: "response", usage })).toEqual({
      prompt_tokens: 100,
      completion_tokens: 40,
      total_tokens: 140,
      prompt_tokens_details: { cached_tokens: 60 },
      completion_tokens_details: { reasoning_tokens: 25 },
    });
    expect(nativeResponseUsage({ usage: { ...usage, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 7 } } })).toMatchObject({ cache_creation_input_tokens: 7 });
    expect(nativeResponseUsage({ id: "resp_1", usage: null })).toBeUndefined();
    expect(nativeResponseUsage(null)).toBeUndefined();
  });

  it("reads the id and final usage from lifecycle events and leaves deltas unparsed", () => {
    const usage = { input_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 };
    expect(readNativeEvent({ event: "response.created", data: JSON.stringify({ type: "response.created", response: { id: "resp_9", usage: null } }) })).toEqual({ type: "response.created", responseId: "resp_9" });
    // A delta is recognised by its name and never parsed (this one is not even JSON).
    expect(readNativeEvent({ event: "response.output_text.delta", data: "{not json" })).toBeUndefined();
    expect(readNativeEvent({ data: '{"type":"response.output_text.delta","delta":"x"' })).toBeUndefined();
    expect(readNativeEvent({ data: JSON.stringify({ type: "response.completed", response: { id: "resp_9", usage } }) })).toEqual({
      type: "response.completed",
      responseId: "resp_9",
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
    expect(readNativeEvent({ event: "response.failed", data: JSON.stringify({ type: "response.failed", response: { id: "resp_9", error: { code: "server_error", message: "boom" }, usage: null } }) })).toEqual({
      type: "response.failed",
      responseId: "resp_9",
      error: { code: "server_error", message: "boom" },
    });
    expect(readNativeEvent({ event: "error", data: JSON.stringify({ type: "error", code: "rate_limit_exceeded", message: "slow down", param: null }) })).toEqual({
      type: "error",
      error: { code: "rate_limit_exceeded", message: "slow down" },
    });
  });
});
