// Stored responses in D1 (table stored_responses, migrations/0003): one row per response, its
// record (./record.ts) as JSON, the owner it belongs to and when it expires.
//
// D1 rather than KV: a client sends previous_response_id the moment it has the answer, often to
// another isolate or location; D1 reads see every committed write, where KV may take up to a minute
// to show a new value elsewhere (and caches the miss meanwhile). A DELETE must also be final at once.
// The row holds MAX_RECORD_BYTES at most (D1's limit is 2 MB), the owner is a column every read
// filters on, and expiry is a column too: reads ignore expired rows and a sweep (at most once an
// hour per isolate, in the background after a write) deletes them in bounded batches.
import { and, eq, gt, inArray, lte } from "drizzle-orm";
import { durationMs } from "../lib/duration";
import { database, storedResponses } from "../schema/database";
import { type StoredResponse, decodeRecord, encodeRecord } from "./record";

/** How long a stored response is kept when general_settings.responses_store_ttl is not set (OpenAI keeps 30 days). */
export const DEFAULT_TTL = "30d";

const SWEEP_EVERY_MS = 3_600_000;
const SWEEP_BATCH = 500;
let nextSweep = 0;

/** The records of `ids` that `owner` may read and that have not expired, by id. */
export async function loadRecords(d1: D1Database, ids: readonly string[], owner: string, now = Date.now()): Promise<Map<string, StoredResponse>> {
  const out = new Map<string, StoredResponse>();
  if (!ids.length) return out;
  const rows = await database(d1)
    .select({ record: storedResponses.record })
    .from(storedResponses)
    .where(and(inArray(storedResponses.id, [...ids]), eq(storedResponses.owner, owner), gt(storedResponses.expires_at, now)))
    .all();
  for (const row of rows) {
    const record = decodeRecord(row.record);
    if (record?.owner === owner) out.set(record.id, record);
  }
  return out;
}

/** One record, if `owner` may read it. */
export async function loadRecord(d1: D1Database, id: string, owner: string): Promise<StoredResponse | undefined> {
  return (await loadRecords(d1, [id], owner)).get(id);
}

/** Stores a record for `ttl` (a duration: "30d"). Resolves when D1 has it, so a follow-up finds it. */
export async function saveRecord(d1: D1Database, record: StoredResponse, ttl: string, now = Date.now()): Promise<void> {
  const row = { id: record.id, owner: record.owner, record: encodeRecord(record), created_at: now, expires_at: now + durationMs(ttl, now) };
  await database(d1)
    .insert(storedResponses)
    .values(row)
    .onConflictDoUpdate({ target: storedResponses.id, set: { record: row.record, expires_at: row.expires_at }, setWhere: eq(storedResponses.owner, row.owner) });
}

/** Deletes `owner`'s record; false when there was none to delete. */
export async function deleteRecord(d1: D1Database, id: string, owner: string): Promise<boolean> {
  const result = await database(d1)
    .delete(storedResponses)
    .where(and(eq(storedResponses.id, id), eq(storedResponses.owner, owner)))
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Deletes a batch of expired rows, at most once an hour per isolate (undefined when not due). Run it in the background. */
export function sweepExpired(d1: D1Database, now = Date.now()): Promise<void> | undefined {
  if (now < nextSweep) return undefined;
  nextSweep = now + SWEEP_EVERY_MS;
  const expired = database(d1).select({ id: storedResponses.id }).from(storedResponses).where(lte(storedResponses.expires_at, now)).limit(SWEEP_BATCH);
  return database(d1)
    .delete(storedResponses)
    .where(inArray(storedResponses.id, expired))
    .run()
    .then(() => undefined);
}
