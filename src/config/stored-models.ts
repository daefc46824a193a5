// Models added at runtime (LiteLLM's store_model_in_db): their D1 rows, checked exactly as config.yaml's
// model_list entries are (the same zod schema, compile's per-entry checks, the same wording), their
// credentials sealed (./sealed-params.ts), and read back as entries that ./live-runtime.ts merges with the
// config's. Every change bumps one version number in the same transaction: isolates poll that number.
import { asc, eq, sql } from "drizzle-orm";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { describeIssues } from "../lib/zod-issues";
import { modelEntrySchema, type ModelEntry, type ParsedConfig } from "../schema/config";
import { database, storedModels, storedModelsVersion, type StoredModelRow } from "../schema/database";
import { checkModelEntry } from "./compile";
import { publicParams } from "./public-params";
import type { StoredEntry } from "./runtime";
import { openCredentials, sealCredentials } from "./sealed-params";

/** general_settings.store_model_in_db, or LiteLLM's env STORE_MODEL_IN_DB: either turns it on. */
export function storeModelInDb(config: ParsedConfig, env: Env): boolean {
  return config.general_settings.store_model_in_db === true || /^(true|1|yes|on)$/i.test(String(env.STORE_MODEL_IN_DB ?? "").trim());
}

/** Marks a stored model's model_info (LiteLLM's `db_model`), for /model/info, the UI and the routes. */
export const isStored = (entry: ModelEntry) => entry.model_info?.db_model === true;

type Json = Record<string, unknown>;

/** LiteLLM's bodies leave a field out with null: dropped, so that it means "not given". */
const given = (value: unknown): Json => Object.fromEntries(Object.entries((value ?? {}) as Json).filter(([, v]) => v !== null && v !== undefined));

/**
 * A model body as a model_list entry, or a 400 in the config's words (`litellm_params.model: unknown provider
 * 'foo' (supported: ...)`, `litellm_params.rpm: Invalid input: expected number, received string`). Gives it
 * its id as compile does when it has none; an id in `takenIds` is a duplicate.
 */
export async function checkedEntry(raw: { model_name?: unknown; litellm_params?: unknown; model_info?: unknown }, takenIds: Set<string>): Promise<ModelEntry> {
  const { db_model: _serverSet, ...info } = given(raw.model_info);
  const parsed = modelEntrySchema.safeParse({ model_name: raw.model_name, litellm_params: given(raw.litellm_params), model_info: info });
  const issues = parsed.success ? (await checkModelEntry(parsed.data, "", takenIds)).issues : describeIssues(parsed.error);
  if (issues.length || !parsed.success) throw new GatewayError(400, "bad_request", `Invalid model: ${issues.join("; ")}`, { param: issues[0]?.split(": ")[0] ?? null });
  return parsed.data;
}

/** The row for a checked entry, its credentials sealed for its id. */
export async function rowFor(entry: ModelEntry, env: Env, by: string, existing?: StoredModelRow): Promise<StoredModelRow> {
  const id = entry.model_info!.id!;
  const now = Date.now();
  const { id: _id, ...info } = entry.model_info!;
  return {
    model_id: id,
    model_name: entry.model_name,
    litellm_params: await sealCredentials(entry.litellm_params, id, env),
    model_info: info,
    created_at: existing?.created_at ?? now,
    created_by: existing?.created_by ?? by,
    updated_at: now,
    updated_by: by,
  };
}

/**
 * /model/update and PATCH /model/{id}/update: what is given replaces the stored value, what is left out (or
 * null) is kept, credentials included (kept sealed as they are). The id cannot change.
 */
export function mergedBody(row: StoredModelRow, patch: { model_name?: string | null; litellm_params?: Json | null; model_info?: Json | null }) {
  return {
    model_name: patch.model_name ?? row.model_name,
    litellm_params: { ...row.litellm_params, ...given(patch.litellm_params) },
    model_info: { ...row.model_info, ...given(patch.model_info), id: row.model_id },
  };
}

/** A row as LiteLLM's routes answer it (LiteLLM_ProxyModelTable), credentials left out. */
export function rowView(row: StoredModelRow) {
  return {
    model_id: row.model_id,
    model_name: row.model_name,
    litellm_params: publicParams(row.litellm_params as ModelEntry["litellm_params"]),
    model_info: { ...row.model_info, id: row.model_id, db_model: true },
    created_at: new Date(row.created_at).toISOString(),
    created_by: row.created_by,
    updated_at: new Date(row.updated_at).toISOString(),
    updated_by: row.updated_by,
  };
}

// ---------------------------------------------------------------- D1

const bumpVersion = (db: ReturnType<typeof database>) =>
  db
    .insert(storedModelsVersion)
    .values({ id: 1, version: 1, updated_at: Date.now() })
    .onConflictDoUpdate({ target: storedModelsVersion.id, set: { version: sql`${storedModelsVersion.version} + 1`, updated_at: Date.now() } });

/** The version of the stored models (0 before any change): one row, read every few seconds per isolate. */
export async function storedVersion(d1: D1Database): Promise<number> {
  const row = await database(d1).select({ version: storedModelsVersion.version }).from(storedModelsVersion).where(eq(storedModelsVersion.id, 1)).get();
  return row?.version ?? 0;
}

/** Every stored model and the version they are at, read together (one transaction). */
export async function readStoredModels(d1: D1Database): Promise<{ version: number; rows: StoredModelRow[] }> {
  const db = database(d1);
  const [version, rows] = await db.batch([
    db.select({ version: storedModelsVersion.version }).from(storedModelsVersion).where(eq(storedModelsVersion.id, 1)),
    db.select().from(storedModels).orderBy(asc(storedModels.created_at), asc(storedModels.model_id)),
  ]);
  return { version: version[0]?.version ?? 0, rows };
}

export const storedModel = (d1: D1Database, id: string) => database(d1).select().from(storedModels).where(eq(storedModels.model_id, id)).get();

/** Adds a model; false when its id is taken. */
export async function insertStoredModel(d1: D1Database, row: StoredModelRow): Promise<boolean> {
  const db = database(d1);
  const [inserted] = await db.batch([db.insert(storedModels).values(row).onConflictDoNothing().returning({ id: storedModels.model_id }), bumpVersion(db)]);
  return inserted.length > 0;
}

/** Replaces a model's row; false when it is gone. */
export async function updateStoredModel(d1: D1Database, row: StoredModelRow): Promise<boolean> {
  const db = database(d1);
  const { model_id, ...fields } = row;
  const [updated] = await db.batch([db.update(storedModels).set(fields).where(eq(storedModels.model_id, model_id)).returning({ id: storedModels.model_id }), bumpVersion(db)]);
  return updated.length > 0;
}

/** Deletes a model; false when there was none with that id. */
export async function deleteStoredModel(d1: D1Database, id: string): Promise<boolean> {
  const db = database(d1);
  const [deleted] = await db.batch([db.delete(storedModels).where(eq(storedModels.model_id, id)).returning({ id: storedModels.model_id }), bumpVersion(db)]);
  return deleted.length > 0;
}

// ---------------------------------------------------------------- rows -> runtime entries

/**
 * The rows as entries for the Runtime, in the order they were added, checked again as compile checks
 * config entries (a row a newer gateway version would refuse is left out, said in the log). A row with
 * the id of a config model is left out: the config wins. Credentials that do not open make the model
 * uncallable, saying why, rather than absent.
 */
export async function storedEntries(rows: readonly StoredModelRow[], config: ParsedConfig, env: Env): Promise<StoredEntry[]> {
  const ids = new Set(config.model_list.map((e) => e.model_info?.id).filter((id): id is string => !!id));
  const out: StoredEntry[] = [];
  for (const row of rows) {
    const leftOut = (why: string) => console.warn(`[gateway] warning: stored model ${row.model_name} (id ${row.model_id}) is left out: ${why}`);
    if (ids.has(row.model_id)) {
      leftOut("a config.yaml model has the same id, and the config wins");
      continue;
    }
    const { params, unopened } = await openCredentials(row.litellm_params, row.model_id, env);
    const parsed = modelEntrySchema.safeParse({ model_name: row.model_name, litellm_params: params, model_info: { ...row.model_info, id: row.model_id } });
    const issues = parsed.success ? (await checkModelEntry(parsed.data, "", ids)).issues : describeIssues(parsed.error);
    if (!parsed.success || issues.length) {
      leftOut(issues.join("; "));
      continue;
    }
    parsed.data.model_info = { ...parsed.data.model_info, db_model: true };
    const problem = unopened.length
      ? `deployment of model=${row.model_name} cannot be called: its stored ${unopened.join(", ")} cannot be decrypted with this LITELLM_SALT_KEY (it is not set, or not the one the model was stored with): set that secret back, or give the credential again with /model/update`
      : undefined;
    out.push({ entry: parsed.data, problem });
  }
  return out;
}
