// A guard's SQLite storage: its schema, brought up to date by numbered migrations, and the meta table.
//
// Tables (names and columns are read by every version of the guard, old and new, during a deploy):
//   meta      k -> JSON v: identity, epoch, config, state, dirty, clock, policy, schema_version
//   calls     the calls (and leases) this guard admitted or settled, kept a while after settling
//   outbox    spend log rows waiting for the flush to D1, with their daily_spend sums
//   forwards  settlements for team/user guards that could not be delivered yet
//
// A guard asked only about an unknown key writes nothing: the tables are made on its first write
// (`ensure`). The version is the meta row `schema_version` (a JSON number; older guards ignore it).
// Storage written before versions were recorded has none: every migration below is idempotent (tables
// and indexes IF NOT EXISTS, columns added only when missing), so such storage runs them all, whatever
// shape the version that wrote it left it in. A migration never removes or renames a table or column:
// during a deploy, or after a rollback, an older guard opens storage a newer one migrated.

/** One step of the schema, idempotent: `sql` (IF NOT EXISTS only), then the missing `columns`, then `after`. */
interface Migration {
  version: number;
  what: string;
  sql?: string;
  /** table, column, declaration: added when the table lacks the column. */
  columns?: { table: string; column: string; declaration: string }[];
  /** Runs once the columns exist (indexes on them, data they need). */
  after?: string;
}

const column = (table: string, column: string, declaration: string) => ({ table, column, declaration });

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: "the tables",
    sql: `
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, cost REAL NOT NULL, model TEXT NOT NULL, user_id TEXT, team_id TEXT, at INTEGER NOT NULL, state TEXT NOT NULL, tokens INTEGER NOT NULL DEFAULT 0, settled_at INTEGER);
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, row TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS forwards (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);`,
    // The first guards' calls table had neither column, and one index on (state, at) instead of these;
    // their settled calls get a settled_at, so the alarm prunes them like any other.
    columns: [column("calls", "tokens", "INTEGER NOT NULL DEFAULT 0"), column("calls", "settled_at", "INTEGER")],
    after: `
      DROP INDEX IF EXISTS calls_state_at;
      CREATE INDEX IF NOT EXISTS calls_at ON calls (at);
      CREATE INDEX IF NOT EXISTS calls_settled_at ON calls (settled_at);
      UPDATE calls SET settled_at = at WHERE state = 'settled' AND settled_at IS NULL;`,
  },
  {
    version: 2,
    what: "leases: the requests a row counts against rpm_limit, and a lease's settled calls",
    // Guards of the first lease version added slots only (and the next ones added lease_calls only with slots).
    columns: [column("calls", "slots", "INTEGER NOT NULL DEFAULT 1"), column("calls", "lease_calls", "INTEGER NOT NULL DEFAULT 0")],
  },
  {
    version: 3,
    what: "outbox entries carry their daily_spend sums",
    columns: [column("outbox", "daily", "TEXT")],
  },
  {
    version: 4,
    what: "budgets that admit what fits: tokens a call holds (max_token_budget), and whether it holds less than its worst case",
    columns: [column("calls", "held_tokens", "INTEGER NOT NULL DEFAULT 0"), column("calls", "partial", "INTEGER NOT NULL DEFAULT 0")],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export class GuardStorage {
  /** The schema version in storage; 0 until the first write makes the tables. */
  version: number;

  constructor(readonly sql: SqlStorage) {
    this.version = 0;
    if (!this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length) return;
    // None recorded: written before versions were, in any earlier shape (0: every migration runs).
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'schema_version'").toArray()[0];
    const recorded = row ? (JSON.parse(row.v) as number) : 0;
    if (recorded < SCHEMA_VERSION) this.migrate(recorded);
    else this.version = recorded; // newer than this code (a rollback): left as it is, which this code reads
  }

  /** The tables exist (something was written). */
  get opened(): boolean {
    return this.version > 0;
  }

  /** Makes the tables on the guard's first write. */
  ensure(): void {
    if (this.version === 0) this.migrate(0);
  }

  meta<T>(k: string): T | undefined {
    if (!this.opened) return undefined;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0];
    return row ? (JSON.parse(row.v) as T) : undefined;
  }

  putMeta(k: string, v: unknown): void {
    this.ensure();
    if (v === undefined) this.sql.exec("DELETE FROM meta WHERE k = ?", k);
    else this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", k, JSON.stringify(v));
  }

  /** Runs the migrations after `from` and records the version, in one synchronous turn (one implicit transaction). */
  private migrate(from: number): void {
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      if (m.sql) this.sql.exec(m.sql);
      for (const c of m.columns ?? []) {
        if (!this.hasColumn(c.table, c.column)) this.sql.exec(`ALTER TABLE ${c.table} ADD COLUMN ${c.column} ${c.declaration}`);
      }
      if (m.after) this.sql.exec(m.after);
    }
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('schema_version', ?)", JSON.stringify(SCHEMA_VERSION));
    this.version = SCHEMA_VERSION;
  }

  private hasColumn(table: string, column: string): boolean {
    return this.sql.exec("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", table, column).toArray().length > 0;
  }
}
