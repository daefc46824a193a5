// The guard's storage migrations (src/limits/guard/storage.ts): storage written by every earlier
// version of the guard, its tables made by hand here exactly as that version made them, opens at the
// current schema with its data kept, and a KeyGuard on it works.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SpendLogRow } from "../../src/schema/db";
import { GuardStorage, SCHEMA_VERSION } from "../../src/limits/guard/storage";
import { dailyRow, outboxRow } from "../../src/spend/flush";
import { testGateway } from "./helpers";
import { json, keyGuard, newKey, pricedMock, testEnv, unique } from "./keys-helpers";

const META = "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);";
const FORWARDS = "CREATE TABLE forwards (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);";
const CALLS = "CREATE TABLE calls (id TEXT PRIMARY KEY, cost REAL NOT NULL, model TEXT NOT NULL, user_id TEXT, team_id TEXT, at INTEGER NOT NULL, state TEXT NOT NULL";
const TOKENS = ", tokens INTEGER NOT NULL DEFAULT 0, settled_at INTEGER";
const INDEXES = "CREATE INDEX calls_at ON calls (at); CREATE INDEX calls_settled_at ON calls (settled_at);";
const OUTBOX = "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, row TEXT NOT NULL);";

/** The tables each earlier version made (git history of src/limits/guard.ts), none recording a schema version. */
const EARLIER = {
  /** 8c43724: the first guards. */
  first: `${META} ${CALLS}); CREATE INDEX calls_state_at ON calls (state, at); ${OUTBOX} ${FORWARDS}`,
  /** 00abcfd: rate windows rebuilt after a restart (tokens, settled_at). */
  windows: `${META} ${CALLS}${TOKENS}); ${INDEXES} ${OUTBOX} ${FORWARDS}`,
  /** d1c3d49: leases (slots). */
  leases: `${META} ${CALLS}${TOKENS}, slots INTEGER NOT NULL DEFAULT 1); ${INDEXES} ${OUTBOX} ${FORWARDS}`,
  /** 99ed619: lease returns wait for their calls (lease_calls). */
  leaseCalls: `${META} ${CALLS}${TOKENS}, slots INTEGER NOT NULL DEFAULT 1, lease_calls INTEGER NOT NULL DEFAULT 0); ${INDEXES} ${OUTBOX} ${FORWARDS}`,
  /** f25b6e0 up to the split into src/limits/guard/: outbox entries with their daily sums. */
  daily: `${META} ${CALLS}${TOKENS}, slots INTEGER NOT NULL DEFAULT 1, lease_calls INTEGER NOT NULL DEFAULT 0); ${INDEXES} ${OUTBOX.replace(")", ", daily TEXT)")} ${FORWARDS}`,
};

/** The current schema: the last earlier version's, plus what calls hold in tokens and whether they hold less than their worst case. */
const CURRENT = `${EARLIER.daily} ALTER TABLE calls ADD COLUMN held_tokens INTEGER NOT NULL DEFAULT 0; ALTER TABLE calls ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;`;

/** A fresh guard's storage to work on (its KeyGuard, asked nothing, has written nothing). */
function inFreshGuard<T>(work: (sql: SqlStorage) => T): Promise<T> {
  const stub = testEnv.KEY_GUARD.get(testEnv.KEY_GUARD.idFromName(unique("storage-test")));
  return runInDurableObject(stub as unknown as DurableObjectStub, (_, state) => work(state.storage.sql));
}

/** Tables (columns with their types, constraints and defaults) and indexes. */
function schemaOf(sql: SqlStorage) {
  const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name").toArray();
  return {
    tables: Object.fromEntries(tables.map(({ name }) => [name, sql.exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, name).toArray()])),
    indexes: sql.exec("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").toArray(),
  };
}

const rows = (sql: SqlStorage, query: string) => sql.exec(query).toArray();

describe("guard storage", () => {
  it("writes nothing for a guard that never wrote, and makes the current tables, versioned, on the first write", async () => {
    const current = await inFreshGuard((sql) => {
      sql.exec(CURRENT);
      return schemaOf(sql);
    });
    const made = await inFreshGuard((sql) => {
      const storage = new GuardStorage(sql);
      const before = { version: storage.version, opened: storage.opened, identity: storage.meta("identity"), tables: schemaOf(sql).tables };
      storage.putMeta("identity", { kind: "key", token: "t" });
      return { before, version: storage.version, schema: schemaOf(sql), meta: rows(sql, "SELECT k, v FROM meta ORDER BY k") };
    });
    expect(made.before).toEqual({ version: 0, opened: false, identity: undefined, tables: {} });
    expect(made.version).toBe(SCHEMA_VERSION);
    expect(made.schema).toEqual(current);
    expect(made.meta).toEqual([
      { k: "identity", v: '{"kind":"key","token":"t"}' },
      { k: "schema_version", v: String(SCHEMA_VERSION) },
    ]);
  });

  it.each(Object.entries(EARLIER))("opens storage of the %s version at the current schema, its data kept", async (version, ddl) => {
    const current = await inFreshGuard((sql) => {
      sql.exec(CURRENT);
      return schemaOf(sql);
    });
    const opened = await inFreshGuard((sql) => {
      sql.exec(ddl);
      sql.exec(`INSERT INTO meta (k, v) VALUES ('state', '{"budget":{"spend":1.5,"resetAt":null,"duration":null},"models":{},"members":{}}')`);
      sql.exec("INSERT INTO calls (id, cost, model, user_id, team_id, at, state) VALUES ('open-1', 0.25, 'alpha', 'ana', NULL, 1000, 'open'), ('done-1', 0.5, 'alpha', NULL, 'ops', 900, 'settled')");
      if (version !== "first") sql.exec("UPDATE calls SET settled_at = 950, tokens = 7 WHERE id = 'done-1'");
      if (version !== "first" && version !== "windows") sql.exec("INSERT INTO calls (id, cost, model, user_id, team_id, at, state, slots) VALUES ('lease-1', 0.75, '', NULL, NULL, 1100, 'open', 8)");
      sql.exec(`INSERT INTO outbox (row) VALUES ('{"request_id":"r1"}')`);
      sql.exec(`INSERT INTO forwards (body) VALUES ('{"kind":"team","id":"ops"}')`);
      const storage = new GuardStorage(sql);
      return {
        version: storage.version,
        schema: schemaOf(sql),
        state: storage.meta<{ budget: { spend: number } }>("state")?.budget.spend,
        calls: rows(sql, "SELECT id, cost, model, user_id, team_id, at, state, tokens, settled_at, slots, lease_calls FROM calls ORDER BY id"),
        outbox: rows(sql, "SELECT seq, row, daily FROM outbox"),
        forwards: rows(sql, "SELECT body FROM forwards"),
      };
    });
    expect(opened.version).toBe(SCHEMA_VERSION);
    expect(opened.schema).toEqual(current);
    expect(opened.state).toBe(1.5);
    const call = { user_id: null, team_id: null, tokens: 0, settled_at: null, slots: 1, lease_calls: 0 };
    expect(opened.calls).toEqual([
      // The first version's settled calls had no settled_at: they get their admission time, so the alarm prunes them.
      { ...call, id: "done-1", cost: 0.5, model: "alpha", team_id: "ops", at: 900, state: "settled", ...(version === "first" ? { settled_at: 900 } : { settled_at: 950, tokens: 7 }) },
      ...(version !== "first" && version !== "windows" ? [{ ...call, id: "lease-1", cost: 0.75, model: "", at: 1100, state: "open", slots: 8 }] : []),
      { ...call, id: "open-1", cost: 0.25, model: "alpha", user_id: "ana", at: 1000, state: "open" },
    ]);
    expect(opened.outbox).toEqual([{ seq: 1, row: '{"request_id":"r1"}', daily: null }]);
    expect(opened.forwards).toEqual([{ body: '{"kind":"team","id":"ops"}' }]);
  });

  it("runs only the migrations after the recorded version, and leaves storage of a newer version as it is", async () => {
    const opened = await inFreshGuard((sql) => {
      // Recorded 2: only migration 3 runs (migration 1 would have dropped this index).
      sql.exec(`${EARLIER.leaseCalls} CREATE INDEX calls_state_at ON calls (state, at); INSERT INTO meta (k, v) VALUES ('schema_version', '2')`);
      const at2 = new GuardStorage(sql);
      const after2 = { version: at2.version, daily: rows(sql, "SELECT name FROM pragma_table_info('outbox') WHERE name = 'daily'").length, oldIndex: rows(sql, "SELECT name FROM sqlite_master WHERE name = 'calls_state_at'").length };
      sql.exec("UPDATE meta SET v = '99' WHERE k = 'schema_version'");
      const newer = new GuardStorage(sql);
      return { after2, newer: { version: newer.version, opened: newer.opened, recorded: newer.meta("schema_version") } };
    });
    expect(opened.after2).toEqual({ version: SCHEMA_VERSION, daily: 1, oldIndex: 1 });
    expect(opened.newer).toEqual({ version: 99, opened: true, recorded: 99 });
  });

  it("a KeyGuard on the first version's storage restores its reservation, settles it, and flushes the old and new rows to D1", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { token } = await newKey(gw);
    const guard = keyGuard(token);
    const stub = guard as unknown as DurableObjectStub;
    const now = Date.now();
    const log = (id: string): SpendLogRow => ({
      request_id: `${token}-${id}`, api_key: token, user: null, team_id: null, end_user: null, model: "alpha", model_group: "alpha", model_id: null,
      custom_llm_provider: "openai", api_base: null, call_type: "acompletion", prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2,
      spend: 0.125, cache_hit: false, status: "success", start_time: now, end_time: now, duration_ms: 0, request_tags: [], messages: null, response: null, metadata: {},
    });
    await runInDurableObject(stub, (_, state) => {
      const sql = state.storage.sql;
      // Made when the key was (the admin route tells its guard): replaced by the first version's.
      sql.exec("DROP TABLE meta; DROP TABLE calls; DROP TABLE outbox; DROP TABLE forwards;");
      sql.exec(EARLIER.first);
      sql.exec("INSERT INTO meta (k, v) VALUES ('identity', ?), ('epoch', '\"first-epoch\"'), ('dirty', 'false')", JSON.stringify({ kind: "key", token }));
      sql.exec(`INSERT INTO meta (k, v) VALUES ('state', '{"budget":{"spend":0.5,"resetAt":null,"duration":null},"models":{},"members":{}}')`);
      sql.exec("INSERT INTO calls (id, cost, model, user_id, team_id, at, state) VALUES (?, 0.25, 'alpha', NULL, NULL, ?, 'open')", `${token}-open`, now);
      // An entry as the first versions wrote it: one row's object, no daily sums.
      sql.exec("INSERT INTO outbox (row) VALUES (?)", outboxRow(log("old"), true));
    });
    await evictDurableObject(stub);
    expect(await guard.snapshot()).toMatchObject({ spend: 0.5, reserved: 0.25, inFlight: 1, pendingRows: 1 });
    await guard.settle({ token, requestId: `${token}-open`, model: "alpha", cost: 0.125, tokens: 2, row: outboxRow(log("open"), true), daily: dailyRow(log("open"), false) });
    expect(await guard.snapshot()).toMatchObject({ spend: 0.625, reserved: 0, inFlight: 0, pendingRows: 2 });
    expect(await guard.flushNow()).toBe(0);
    const logged = await testEnv.DB.prepare("SELECT request_id FROM spend_logs WHERE api_key = ? ORDER BY request_id").bind(token).all<{ request_id: string }>();
    expect(logged.results.map((r) => r.request_id)).toEqual([`${token}-old`, `${token}-open`]);
    expect((await json(gw.fetch(`/key/info?key=${token}`))).info.spend).toBe(0.625);
    const version = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'schema_version'").one().v);
    expect(version).toBe(String(SCHEMA_VERSION));
  });
});
