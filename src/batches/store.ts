// Files and batches in D1 (table managed_objects, migrations/0009): which key made each upstream id and
// on which deployment it lives. Every read filters on the owner, so another key's file or batch does not
// exist for a caller (404), as stored responses. A batch's cost is recorded once: the first retrieval
// that sees it completed claims it (claimCost), and gives the claim back if recording fails.
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { database, managedObjects } from "../schema/database";

export type ObjectKind = "file" | "batch";
export type ManagedObject = typeof managedObjects.$inferSelect;

/** Who owns what a caller makes: its key's SHA-256, or "master" / "open". */
export const ownerOf = (principal: { kind: string; token?: string }) => principal.token ?? principal.kind;

export async function saveObject(d1: D1Database, row: Omit<ManagedObject, "created_at" | "cost_recorded_at">, now = Date.now()): Promise<void> {
  await database(d1)
    .insert(managedObjects)
    .values({ ...row, created_at: now, cost_recorded_at: null })
    .onConflictDoNothing();
}

/** The caller's object of this kind, if it has one by that id. */
export async function loadObject(d1: D1Database, id: string, kind: ObjectKind, owner: string): Promise<ManagedObject | undefined> {
  return database(d1)
    .select()
    .from(managedObjects)
    .where(and(eq(managedObjects.id, id), eq(managedObjects.kind, kind), eq(managedObjects.owner, owner)))
    .get();
}

/** The caller's objects of a kind, newest first; `after`: an id of the previous page (OpenAI's cursor). */
export async function listObjects(d1: D1Database, owner: string, kind: ObjectKind, limit: number, after?: ManagedObject): Promise<ManagedObject[]> {
  const filters = [eq(managedObjects.owner, owner), eq(managedObjects.kind, kind)];
  if (after) filters.push(lt(managedObjects.created_at, after.created_at));
  return database(d1)
    .select()
    .from(managedObjects)
    .where(and(...filters))
    .orderBy(desc(managedObjects.created_at))
    .limit(limit)
    .all();
}

export async function deleteObject(d1: D1Database, id: string, owner: string): Promise<void> {
  await database(d1)
    .delete(managedObjects)
    .where(and(eq(managedObjects.id, id), eq(managedObjects.owner, owner)))
    .run();
}

/** True for the one caller that gets to record the batch's cost (D1 decides: one UPDATE). */
export async function claimCost(d1: D1Database, id: string, now = Date.now()): Promise<boolean> {
  const result = await database(d1)
    .update(managedObjects)
    .set({ cost_recorded_at: now })
    .where(and(eq(managedObjects.id, id), isNull(managedObjects.cost_recorded_at)))
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Gives a claim back (recording failed): the next retrieval tries again. */
export async function releaseCost(d1: D1Database, id: string): Promise<void> {
  await database(d1).update(managedObjects).set({ cost_recorded_at: null }).where(eq(managedObjects.id, id)).run();
}
