// The Responses API bridge (src/responses/) under the official openai SDK, before it is wired into
// the gateway: a small local HTTP server plays the route. It validates the request with the gateway's
// schema, builds the conversation from its stored records, turns it into a chat request (checked by
// the chat schema the gateway validates with), answers from a chat completion scripted per turn (as
// OpenAI's chat stream would send it, chunk by chunk), and serves the bridge's JSON or SSE. The SDK's
// own parsers (responses.create, create({stream}), responses.stream's event accumulator, retrieve,
// inputItems.list) must accept every answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError, toGatewayError } from "../../src/errors";
import { type ChatCompletion, type ChatCompletionChunk, type ChatRequest, chatRequestSchema } from "../../src/schema/openai";
import { bridgedRecord, conversationFor, decodeRecord, deletedResponse, encodeRecord, inputItemsPage, readable, recordIdsFor, type StoredResponse } from "../../src/responses/record";
import { toChatRequest } from "../../src/responses/request";
import { newResponseContext, toResponse } from "../../src/responses/response";
import { responsesRequestSchema } from "../../src/schema/responses";
import { ResponsesStreamWriter } from "../../src/responses/stream";
import { freePort } from "./start";

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather by city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

/** The upstream's answer to a chat request: a tool call when tools are offered and unanswered, else text. */
function completionFor(chat: ChatRequest): ChatCompletion {
  const last = chat.messages.at(-1)!;
  const base = { id: "chatcmpl-test", object: "chat.completion" as const, created: 1_700_000_000, model: "claude-sonnet-4-5" };
  const usage = { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52, prompt_tokens_details: { cached_tokens: 8 }, completion_tokens_details: { reasoning_tokens: 3 } };
  if (chat.tools?.length && last.role === "user") {
    const message = {
      role: "assistant" as const,
      content: "Let me check.",
      reasoning_content: "The user wants the weather.",
      tool_calls: [{ id: "call_weather_1", type: "function" as const, function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    };
    return { ...base, choices: [{ index: 0, message, finish_reason: "tool_calls" }], usage };
  }
  const text = last.role === "tool" ? `It is ${JSON.parse(last.content as string).temp}°C in Paris.` : `You said: ${JSON.stringify(last.content)}`;
  return { ...base, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }], usage };
}

const pieces = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

/** A completion as OpenAI's chat stream sends it: role, reasoning, text, tool calls with split arguments, finish, usage. */
function chunksOf(c: ChatCompletion): ChatCompletionChunk[] {
  const base = { id: c.id, object: "chat.completion.chunk" as const, created: c.created, model: c.model };
  const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: ChatCompletionChunk["choices"][number]["finish_reason"] = null): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const m = c.choices[0].message;
  const out = [chunk({ role: "assistant", content: "" })];
  for (const p of pieces(m.reasoning_content ?? "", 7)) out.push(chunk({ reasoning_content: p }));
  for (const p of pieces(m.content ?? "", 5)) out.push(chunk({ content: p }));
  m.tool_calls?.forEach((tc, index) => {
    out.push(chunk({ tool_calls: [{ index, id: tc.id, type: "function", function: { name: tc.function.name, arguments: "" } }] }));
    for (const p of pieces(tc.function.arguments, 4)) out.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
  });
  out.push(chunk({}, c.choices[0].finish_reason));
  out.push({ ...base, choices: [], usage: c.usage });
  return out;
}

const store = new Map<string, string>();
const chatRequests: ChatRequest[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const owner = req.headers.authorization ?? "";
  const url = new URL(req.url ?? "/", "http://local");
  const stored = (id: string) => readable(decodeRecord(store.get(id) ?? ""), owner);
  const get = /^\/v1\/responses\/([^/]+)(\/input_items)?$/.exec(url.pathname);
  if (get && req.method !== "POST") {
    const record = stored(get[1]);
    if (!record || record.kind !== "bridged") return sendJson(res, 404, new GatewayError(404, "not_found", `Response with id '${get[1]}' not found.`).toBody());
    if (req.method === "DELETE") {
      store.delete(record.id);
      return sendJson(res, 200, deletedResponse(record.id));
    }
    if (get[2]) return sendJson(res, 200, inputItemsPage(record, Object.fromEntries(url.searchParams)));
    return sendJson(res, 200, record.response);
  }

  const parsed = responsesRequestSchema.safeParse(JSON.parse(await readBody(req)));
  if (!parsed.success) return sendJson(res, 400, badRequestBody(parsed.error.message));
  const request = parsed.data;
  const records = new Map<string, StoredResponse>();
  for (const id of recordIdsFor(request)) {
    const record = decodeRecord(store.get(id) ?? "");
    if (record) records.set(id, record);
  }
  const conversation = conversationFor(request, records, owner);
  const chat = chatRequestSchema.parse(toChatRequest(request, conversation));
  chatRequests.push(chat);
  const completion = completionFor(chat);
  const ctx = newResponseContext(request);
  const keep = (response: Parameters<typeof bridgedRecord>[3]) => store.set(ctx.id, encodeRecord(bridgedRecord(owner, request.model, conversation, response)));

  if (!request.stream) {
    const response = toResponse(completion, ctx);
    keep(response);
    return sendJson(res, 200, response);
  }
  const writer = new ResponsesStreamWriter(ctx);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunks = chunksOf(completion);
  const failing = JSON.stringify(request.input).includes("FAIL_MID_STREAM");
  for (const [i, chunk] of chunks.entries()) {
    if (failing && i === 3) {
      res.end(writer.error(new GatewayError(502, "server", "The upstream went away mid-stream")));
      return;
    }
    res.write(writer.write(chunk));
    await new Promise((r) => setImmediate(r)); // one network write per chunk, as a real stream
  }
  res.end(writer.end({}));
  keep(writer.response);
}

const badRequestBody = (message: string) => new GatewayError(400, "bad_request", message).toBody();

let server: Server;
let client: OpenAI;
let otherKey: OpenAI;

beforeAll(async () => {
  const port = await freePort();
  server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const error = toGatewayError(err);
      if (!res.headersSent) sendJson(res, error.status, error.toBody());
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  client = new OpenAI({ apiKey: "sk-owner-key", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  otherKey = new OpenAI({ apiKey: "sk-another-key", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the openai SDK against the Responses bridge", () => {
  it("responses.create (JSON): a function call, then previous_response_id with its output gives the answer", async () => {
    const first = await client.responses.create({ model: "claude", instructions: "Be brief.", input: "Weather in Paris?", tools: [weatherTool] });
    expect(first.object).toBe("response");
    expect(first.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(first.status).toBe("completed");
    expect(first.output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(first.output_text).toBe("Let me check.");
    const call = first.output.find((i) => i.type === "function_call")!;
    expect(call).toMatchObject({ call_id: "call_weather_1", name: "get_weather", arguments: '{"city":"Paris"}', status: "completed" });
    expect(first.usage).toEqual({
      input_tokens: 40,
      input_tokens_details: { cached_tokens: 8, cache_write_tokens: 0 },
      output_tokens: 12,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 52,
    });

    const second = await client.responses.create({
      model: "claude",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: JSON.stringify({ temp: 21 }) }],
      tools: [weatherTool],
    });
    expect(second.output_text).toBe("It is 21°C in Paris.");
    expect(second.previous_response_id).toBe(first.id);
    // The upstream saw the whole conversation; the first turn's instructions do not carry over (OpenAI's rule).
    expect(chatRequests.at(-1)!.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [{ id: "call_weather_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_weather_1", content: '{"temp":21}' },
    ]);

    const again = await client.responses.retrieve(second.id);
    expect(again).toEqual(second);
    const items = [];
    for await (const item of client.responses.inputItems.list(second.id, { order: "asc" })) items.push(item);
    expect(items).toMatchObject([{ type: "function_call_output", call_id: "call_weather_1", status: "completed" }]);
    expect(items[0].id).toMatch(/^fco_[0-9a-f]{24}_i0$/);
  });

  it("another key cannot read or continue a response", async () => {
    const mine = await client.responses.create({ model: "claude", input: "private" });
    await expect(otherKey.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const refused = otherKey.responses.create({ model: "claude", previous_response_id: mine.id, input: "and?" });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toThrow(`Previous response with id '${mine.id}' not found.`);
    await client.responses.delete(mine.id);
    await expect(client.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("create({stream: true}): every event parses, in order, numbered, ending in response.completed", async () => {
    const stream = await client.responses.create({ model: "claude", input: "Weather in Paris?", tools: [weatherTool], stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(["response.created", "response.in_progress", "response.output_item.added"]);
    expect(types.at(-1)).toBe("response.completed");
    const args = events.flatMap((e) => (e.type === "response.function_call_arguments.delta" ? [e.delta] : []));
    expect(args.length).toBeGreaterThan(1);
    expect(args.join("")).toBe('{"city":"Paris"}');
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(done.response.output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(done.response.usage?.total_tokens).toBe(52);
  });

  it("responses.stream: the SDK's event accumulator builds the same response, and the stream's record continues", async () => {
    const deltas: string[] = [];
    const stream = client.responses.stream({ model: "claude", input: "Weather in Paris?", tools: [weatherTool] });
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join("")).toBe("Let me check.");
    expect(final.output_text).toBe("Let me check.");
    const call = final.output.find((i) => i.type === "function_call")!;
    expect(call).toMatchObject({ call_id: "call_weather_1", arguments: '{"city":"Paris"}', status: "completed" });
    const reasoning = final.output.find((i) => i.type === "reasoning")!;
    expect(reasoning.summary).toEqual([{ type: "summary_text", text: "The user wants the weather." }]);

    const next = client.responses.stream({
      model: "claude",
      previous_response_id: final.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"temp":19}' }],
    });
    expect((await next.finalResponse()).output_text).toBe("It is 19°C in Paris.");
  });

  it("a failure mid-stream reaches the SDK as an APIError carrying the message", async () => {
    const stream = await client.responses.create({ model: "claude", input: "FAIL_MID_STREAM please", stream: true });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of stream) seen.push(event.type);
    })();
    await expect(reading).rejects.toThrow("The upstream went away mid-stream");
    expect(seen).toContain("response.failed");
  });
});
