// What the gateway keeps of a Responses call, for previous_response_id, item_reference,
// GET /v1/responses/{id} and GET /v1/responses/{id}/input_items, and the pure functions that build
// the next request's conversation from it. Storage (D1 or KV, TTL) is the wiring's; this file
// decides what a record holds, who may read it, and how big it may get.
//
// A bridged record is self-contained: `history` (everything its own previous_response_id carried),
// `input` (its own input, item_references resolved) and `response.output`. The next turn reads one
// record, however long the chain. A native record only says who owns a response a native
// deployment made and which deployment holds it.
import { z } from "zod";
import { GatewayError, badRequest } from "../errors";
import { inputItemId, responseIdOfItem } from "./items";
import { type Conversation, inputItemsOf } from "./request";
import { type InputItem, type InputItemsQuery, type ResponseObject, type ResponsesRequest, inputItemsQuerySchema } from "../schema/responses";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// Items and the response are the gateway's own JSON: checked for shape only, not re-validated field by field on every read.
const itemJson = z.custom<InputItem>((v) => isObject(v) && typeof v.type === "string");
const responseJson = z.custom<ResponseObject>((v) => isObject(v) && v.object === "response" && Array.isArray(v.output));

const recordBase = {
  v: z.literal(1),
  id: z.string(),
  /** ownerOf() of the key that made it: the only key that may read, continue or delete it. */
  owner: z.string(),
  created_at: z.number(),
  /** The model group the client asked for. */
  model: z.string(),
};

export const storedResponseSchema = z.discriminatedUnion("kind", [
  z.object({
    ...recordBase,
    kind: z.literal("bridged"),
    response: responseJson,
    history: z.array(itemJson),
    input: z.array(itemJson),
    /** Set when history and input were dropped to fit the size bound: the record's size before. */
    omitted_bytes: z.number().optional(),
  }),
  z.object({ ...recordBase, kind: z.literal("native"), deployment_id: z.string() }),
]);

export type StoredResponse = z.infer<typeof storedResponseSchema>;
export type BridgedRecord = Extract<StoredResponse, { kind: "bridged" }>;

/** A D1 row holds up to 2,000,000 bytes; KV values more. Past this, the conversation is not kept. */
export const MAX_RECORD_BYTES = 1_800_000;

/** Who owns what a principal makes: its key's token, or "master" / "open". */
export const ownerOf = (principal: { kind: string; token?: string }) => principal.token ?? principal.kind;

/** store defaults to true, as on OpenAI. */
export const shouldStore = (req: ResponsesRequest) => req.store !== false;

/** Input items as OpenAI lists them: each with an id and a status, message content as parts. */
function normalized(item: InputItem, responseId: string, n: number): InputItem {
  const prefix = { message: "msg", function_call: "fc", function_call_output: "fco", reasoning: "rs" }[item.type] ?? "item";
  const out: Record<string, unknown> = { ...item, id: item.id ?? inputItemId(prefix, responseId, n) };
  if (item.type === "message" && typeof item.content === "string") {
    out.content = [item.role === "assistant" ? { type: "output_text", text: item.content, annotations: [] } : { type: "input_text", text: item.content }];
  }
  if (item.type !== "reasoning") out.status ??= "completed";
  return out as InputItem;
}

export function bridgedRecord(owner: string, model: string, conversation: Conversation, response: ResponseObject): BridgedRecord {
  return {
    v: 1,
    kind: "bridged",
    id: response.id,
    owner,
    created_at: response.created_at,
    model,
    response,
    history: conversation.history,
    input: conversation.input.map((item, i) => normalized(item, response.id, i)),
  };
}

export function nativeRecord(owner: string, model: string, responseId: string, deploymentId: string, createdAt: number): StoredResponse {
  return { v: 1, kind: "native", id: responseId, owner, created_at: createdAt, model, deployment_id: deploymentId };
}

function byteLength(json: string, max: number): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short strings need no encoding to be known to fit.
  return json.length * 3 <= max ? json.length : new TextEncoder().encode(json).byteLength;
}

/**
 * The record as stored JSON, at most `maxBytes`: an oversized one keeps its response (GET works) but
 * drops its conversation, and a follow-up on it gets a 400 saying so instead of a silently shorter context.
 */
export function encodeRecord(record: StoredResponse, maxBytes = MAX_RECORD_BYTES): string {
  const json = JSON.stringify(record);
  const size = byteLength(json, maxBytes);
  if (size <= maxBytes || record.kind === "native") return json;
  const slim: BridgedRecord = { ...record, history: [], input: [], omitted_bytes: size };
  const slimJson = JSON.stringify(slim);
  if (byteLength(slimJson, maxBytes) <= maxBytes) return slimJson;
  return JSON.stringify({ ...slim, response: { ...record.response, output: [], tools: [], instructions: null } });
}

/** A stored record, or undefined for anything that is not one (another version, a corrupt value). */
export function decodeRecord(json: string): StoredResponse | undefined {
  try {
    const parsed = storedResponseSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The record if `owner` may see it: another key's response does not exist for this one. */
export const readable = (record: StoredResponse | undefined, owner: string) => (record?.owner === owner ? record : undefined);

/** The response ids whose records a request needs: its previous_response_id and those its item_references point into. */
export function recordIdsFor(req: ResponsesRequest): string[] {
  const ids = new Set<string>();
  if (req.previous_response_id) ids.add(req.previous_response_id);
  for (const item of inputItemsOf(req)) {
    const id = item.type === "item_reference" ? responseIdOfItem(item.id as string) : undefined;
    if (id) ids.add(id);
  }
  return [...ids];
}

/** The stored previous response, if the request names one; a 400 as OpenAI's when it is unknown (or another key's). */
export function previousOf(req: ResponsesRequest, records: ReadonlyMap<string, StoredResponse>, owner: string): StoredResponse | undefined {
  const id = req.previous_response_id;
  if (!id) return undefined;
  const record = readable(records.get(id), owner);
  if (!record) throw new GatewayError(400, "bad_request", `Previous response with id '${id}' not found.`, { param: "previous_response_id", code: "previous_response_not_found" });
  return record;
}

/** Everything a bridged record's next turn continues from. */
export function conversationOf(record: BridgedRecord): InputItem[] {
  if (record.omitted_bytes !== undefined) {
    throw badRequest(
      `Response '${record.id}' was too large for the gateway to keep its conversation (${record.omitted_bytes} bytes; the limit is ${MAX_RECORD_BYTES}). Send the whole conversation as input instead of previous_response_id.`,
      "previous_response_id",
    );
  }
  return [...record.history, ...record.input, ...(record.response.output as InputItem[])];
}

function resolveReference(id: string, records: ReadonlyMap<string, StoredResponse>, owner: string, index: number): InputItem {
  const responseId = responseIdOfItem(id);
  const record = responseId ? readable(records.get(responseId), owner) : undefined;
  const found = record?.kind === "bridged" ? [...record.input, ...(record.response.output as InputItem[])].find((item) => item.id === id) : undefined;
  if (!found) throw new GatewayError(400, "bad_request", `Item with id '${id}' not found.`, { param: `input[${index}]` });
  return found;
}

/**
 * The conversation for the bridge: the previous response's (history) and this request's input with
 * item_references replaced by the items they name. `records` holds what recordIdsFor() asked for
 * (missing ones are simply absent); only `owner`'s records count.
 */
export function conversationFor(req: ResponsesRequest, records: ReadonlyMap<string, StoredResponse>, owner: string): Conversation {
  const previous = previousOf(req, records, owner);
  if (previous?.kind === "native") {
    throw badRequest(
      `Previous response '${previous.id}' was made by a deployment that speaks the Responses API natively and holds its conversation; continue it on a model served natively, or send the whole conversation as input.`,
      "previous_response_id",
    );
  }
  const input = inputItemsOf(req).map((item, i) => (item.type === "item_reference" ? resolveReference(item.id as string, records, owner, i) : item));
  return { history: previous ? conversationOf(previous) : [], input };
}

/** GET /v1/responses/{id}/input_items: a cursor page over the request's own input items. */
export function inputItemsPage(record: BridgedRecord, query: InputItemsQuery = {}) {
  const { limit, order, after, before } = inputItemsQuerySchema.parse(query);
  let items = order === "asc" ? record.input : [...record.input].reverse();
  if (after) items = items.slice(items.findIndex((item) => item.id === after) + 1 || items.length);
  if (before) {
    const end = items.findIndex((item) => item.id === before);
    if (end >= 0) items = items.slice(0, end);
  }
  const data = items.slice(0, limit);
  return { object: "list" as const, data, first_id: (data[0]?.id as string | undefined) ?? null, last_id: (data.at(-1)?.id as string | undefined) ?? null, has_more: items.length > limit };
}

/** DELETE /v1/responses/{id}'s answer. */
export const deletedResponse = (id: string) => ({ id, object: "response" as const, deleted: true });
