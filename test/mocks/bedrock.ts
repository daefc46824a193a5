// Mock of Amazon Bedrock Runtime under /bedrock (api_base: <mock>/bedrock): Converse, ConverseStream
// (AWS binary event stream, CRCs from node:zlib so the gateway's decoder is checked against an
// independent implementation) and InvokeModel for Titan/Cohere embeddings. It verifies SigV4 the way
// AWS does (recomputing the signature with the known secret) and validates Converse bodies like the
// real API: alternating roles, no empty content, toolConfig present when tool blocks are, no unknown keys.
// Model ids: error-<status>[-context], guardrail, stream-throttle, stream-corrupt, think (reasoning).
import type { IncomingMessage, ServerResponse } from "node:http";
import { crc32 } from "node:zlib";
import { AwsV4Signer } from "aws4fetch";
import { json, requestedError, WORDS, TEXT } from "./wire";

import { BEDROCK_ACCESS_KEY, BEDROCK_API_KEY, BEDROCK_SECRET_KEY } from "./credentials";

export { BEDROCK_ACCESS_KEY, BEDROCK_API_KEY, BEDROCK_SECRET_KEY };

const TOP_LEVEL = new Set(["messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths", "requestMetadata", "promptVariables", "performanceConfig"]);

const exception = (res: ServerResponse, status: number, type: string, message: string) =>
  json(res, status, { message }, { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, "x-amzn-requestid": "req-mock" });

/** Recomputes the SigV4 signature as AWS would; returns a problem or undefined. */
export async function checkSignature(req: IncomingMessage, body: string): Promise<string | undefined> {
  const auth = String(req.headers.authorization ?? "");
  if (auth === `Bearer ${BEDROCK_API_KEY}`) return undefined;
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/bedrock\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return "UnrecognizedClientException";
  const [, keyId, , region, signedHeaders] = m;
  if (keyId !== BEDROCK_ACCESS_KEY) return "UnrecognizedClientException";
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(";")) if (name !== "host" && name !== "x-amz-date") headers[name] = String(req.headers[name] ?? "");
  const signer = new AwsV4Signer({
    url: `http://${req.headers.host}${req.url}`,
    method: req.method,
    headers,
    body,
    accessKeyId: keyId,
    secretAccessKey: BEDROCK_SECRET_KEY,
    sessionToken: req.headers["x-amz-security-token"] as string | undefined,
    service: "bedrock",
    region,
    datetime: String(req.headers["x-amz-date"]),
  });
  const expected = (await signer.sign()).headers.get("authorization");
  return expected === auth ? undefined : "InvalidSignatureException";
}

function validate(body: Record<string, any>): string | undefined {
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) return `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.length) return "The messages field is required.";
  if (messages[0].role !== "user") return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
  let usesTools = false;
  for (const [i, m] of messages.entries()) {
    if (i > 0 && messages[i - 1].role === m.role) return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";
    if (!Array.isArray(m.content) || !m.content.length) return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
    for (const b of m.content) {
      if ("text" in b && !b.text) return `The text field in the ContentBlock object at messages.${i} is blank. Add text to the text field, and try again.`;
      if (b.toolUse || b.toolResult) usesTools = true;
      if (b.toolResult) {
        const ids = (messages[i - 1]?.content ?? []).filter((x: any) => x.toolUse).map((x: any) => x.toolUse.toolUseId);
        if (!ids.includes(b.toolResult.toolUseId)) return `The toolResult blocks at messages.${i} don't match the toolUse blocks of the previous turn.`;
      }
      if (b.image && !["png", "jpeg", "gif", "webp"].includes(b.image.format)) return "image format is invalid";
    }
  }
  if (usesTools && !body.toolConfig) return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
  for (const s of body.system ?? []) if (!("text" in s) && !("cachePoint" in s)) return "system blocks must be text or cachePoint";
  return undefined;
}

const frame = (headers: Record<string, string>, payload: object): Buffer => {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(v.length);
      return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), len, v]);
    }),
  );
  const data = Buffer.from(JSON.stringify(payload));
  const total = 12 + headerBytes.length + data.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const body = Buffer.concat([prelude, headerBytes, data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([body, crc]);
};

const event = (type: string, payload: object) => frame({ ":event-type": type, ":content-type": "application/json", ":message-type": "event" }, { ...payload, p: "abcdefghij" });

function answer(body: Record<string, any>, model: string): { content: any[]; stop: string } {
  const content: any[] = [];
  if (body.additionalModelRequestFields?.thinking) content.push({ reasoningContent: { reasoningText: { text: "Pondering.", signature: "bedrock-sig-1" } } });
  const tools = body.toolConfig?.tools ?? [];
  const last = body.messages.at(-1);
  const answeringTool = last.content.some((b: any) => b.toolResult);
  const forced = body.toolConfig?.toolChoice?.tool?.name;
  const tool = forced ? tools.find((t: any) => t.toolSpec.name === forced) : !answeringTool ? tools[0] : undefined;
  if (tool) {
    const name = tool.toolSpec.name;
    content.push({ toolUse: { toolUseId: "tooluse_mock_1", name, input: name === "json_tool_call" ? { answer: "forty-two" } : { city: "Paris" } } });
    return { content, stop: "tool_use" };
  }
  content.push({ text: TEXT });
  return { content, stop: model === "guardrail" ? "guardrail_intervened" : "end_turn" };
}

export async function bedrockMock(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>, raw: string) {
  const problem = await checkSignature(req, raw);
  if (problem === "UnrecognizedClientException") return exception(res, 403, problem, "The security token included in the request is invalid.");
  if (problem) return exception(res, 403, problem, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
  const m = /^\/bedrock\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
  if (!m) return exception(res, 404, "UnknownOperationException", `mock bedrock: no route ${path}`);
  const model = decodeURIComponent(m[1]);
  const op = m[2];
  const failure = requestedError(model);
  if (failure) {
    const { status, variant } = failure;
    if (status === 400 && variant === "context") return exception(res, 400, "ValidationException", "Input is too long for requested model.");
    if (status === 429) return exception(res, 429, "ThrottlingException", "Too many requests, please wait before trying again.");
    if (status === 403) return exception(res, 403, "AccessDeniedException", "You don't have access to the model with the specified model ID.");
    if (status === 503) return exception(res, 503, "ServiceUnavailableException", "Bedrock is unable to process your request.");
    return exception(res, status, "InternalServerException", "The server encountered an internal error.");
  }
  if (op === "invoke") {
    if (model.includes("titan-embed")) return json(res, 200, { embedding: [0.5, -0.5], inputTextTokenCount: 4 });
    if (model.includes("cohere.embed")) return json(res, 200, { id: "emb-1", response_type: "embeddings_floats", texts: body.texts, embeddings: body.texts.map(() => [0.125, 0.25]) });
    return exception(res, 400, "ValidationException", "The provided model identifier is invalid.");
  }
  const invalid = validate(body);
  if (invalid) return exception(res, 400, "ValidationException", invalid);
  const cached = JSON.stringify(body).includes("cachePoint");
  const usage = { inputTokens: 10, outputTokens: 5, totalTokens: cached ? 20 : 15, ...(cached ? { cacheReadInputTokens: 4, cacheWriteInputTokens: 1 } : {}) };
  const { content, stop } = answer(body, model);
  if (op === "converse") return json(res, 200, { output: { message: { role: "assistant", content } }, stopReason: stop, usage, metrics: { latencyMs: 120 } });

  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "req-mock" });
  res.write(event("messageStart", { role: "assistant" }));
  if (model === "stream-throttle") {
    res.write(frame({ ":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception" }, { message: "Too many tokens, please wait before trying again." }));
    return res.end();
  }
  if (model === "stream-corrupt") {
    const bad = event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } });
    bad[bad.length - 1] ^= 0xff;
    res.write(bad);
    return res.end();
  }
  for (const [index, block] of content.entries()) {
    if (block.text !== undefined) {
      // Split one word across two TCP writes mid-frame, to exercise the decoder's buffering.
      for (const word of WORDS) {
        const bytes = event("contentBlockDelta", { contentBlockIndex: index, delta: { text: word } });
        res.write(bytes.subarray(0, 7));
        res.write(bytes.subarray(7));
      }
    } else if (block.toolUse) {
      res.write(event("contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId: block.toolUse.toolUseId, name: block.toolUse.name } } }));
      const input = JSON.stringify(block.toolUse.input);
      for (const part of [input.slice(0, 5), input.slice(5)]) res.write(event("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: part } } }));
    } else if (block.reasoningContent) {
      res.write(event("contentBlockDelta", { contentBlockIndex: index, delta: { reasoningContent: { text: block.reasoningContent.reasoningText.text } } }));
      res.write(event("contentBlockDelta", { contentBlockIndex: index, delta: { reasoningContent: { signature: block.reasoningContent.reasoningText.signature } } }));
    }
    res.write(event("contentBlockStop", { contentBlockIndex: index }));
  }
  res.write(event("messageStop", { stopReason: stop }));
  res.end(event("metadata", { usage, metrics: { latencyMs: 120 } }));
}
