// The gateway Worker with its bindings wrapped to count what Cloudflare bills per call: Durable Object
// requests (each RPC call or fetch on a stub, each alarm), Durable Object SQLite rows, D1 queries and
// rows, KV operations. Run by bench/costs.ts through `npm start -- bench/costs/counting-worker.ts`
// (wrangler dev's positional entry): the same code, bindings and local D1/KV/DO as `npm start`.
// GET /__costs returns the counts; POST /__costs/reset zeroes them. Measurement only, never deployed.
import gateway, { KeyGuard as GatewayKeyGuard, RouterState as GatewayRouterState } from "../../src/index";
import type { Env } from "../../src/env";

const counts = {
  workerRequests: 0,
  doRequests: {} as Record<string, number>,
  doAlarms: {} as Record<string, number>,
  d1: { queries: 0, batches: 0, rowsRead: 0, rowsWritten: 0 },
  kv: { get: 0, put: 0, delete: 0, list: 0 },
};
let cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];

const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);

/** A proxy whose listed methods run `hook` first; every other function is bound to the real object. */
function wrap<T extends object>(target: T, hooks: Record<string, (real: (...a: unknown[]) => unknown, args: unknown[]) => unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop) as unknown;
      if (typeof value !== "function") return value;
      const real = (value as (...a: unknown[]) => unknown).bind(t);
      const hook = typeof prop === "string" ? hooks[prop] : undefined;
      return hook ? (...args: unknown[]) => hook(real, args) : real;
    },
  });
}

function countD1Meta(result: unknown) {
  for (const r of Array.isArray(result) ? result : [result]) {
    const meta = (r as { meta?: { rows_read?: number; rows_written?: number } } | null)?.meta;
    counts.d1.rowsRead += meta?.rows_read ?? 0;
    counts.d1.rowsWritten += meta?.rows_written ?? 0;
  }
}

const realStatement = new WeakMap<object, D1PreparedStatement>();
function statement(s: D1PreparedStatement): D1PreparedStatement {
  const run = (real: (...a: unknown[]) => unknown, args: unknown[]) => {
    counts.d1.queries++;
    return (real(...args) as Promise<unknown>).then((r) => (countD1Meta(r), r));
  };
  const proxy = wrap(s, { bind: (real, args) => statement(real(...args) as D1PreparedStatement), run, all: run, raw: run, first: run });
  realStatement.set(proxy, s);
  return proxy;
}

const wrappedEnvs = new WeakMap<Env, Env>();
function countingEnv(env: Env): Env {
  const known = wrappedEnvs.get(env);
  if (known) return known;
  const namespace = <N extends object>(ns: N, name: string): N =>
    wrap(ns, { get: (real, args) => new Proxy(real(...args) as object, { get: (stub, prop) => countedStubMember(stub, prop, name) }) });
  const wrapped: Env = {
    ...env,
    DB: wrap(env.DB, {
      prepare: (real, args) => statement(real(...args) as D1PreparedStatement),
      batch: (real, [stmts]) => {
        counts.d1.batches++;
        counts.d1.queries += (stmts as D1PreparedStatement[]).length;
        return (real((stmts as D1PreparedStatement[]).map((s) => realStatement.get(s) ?? s)) as Promise<unknown>).then((r) => (countD1Meta(r), r));
      },
    }),
    KV: wrap(env.KV, {
      get: (real, args) => (counts.kv.get++, real(...args)),
      getWithMetadata: (real, args) => (counts.kv.get++, real(...args)),
      put: (real, args) => (counts.kv.put++, real(...args)),
      delete: (real, args) => (counts.kv.delete++, real(...args)),
      list: (real, args) => (counts.kv.list++, real(...args)),
    }),
    KEY_GUARD: namespace(env.KEY_GUARD, "KeyGuard"),
    ...(env.ROUTER_STATE ? { ROUTER_STATE: namespace(env.ROUTER_STATE, "RouterState") } : {}),
  };
  wrappedEnvs.set(env, wrapped);
  return wrapped;
}

// Each RPC method call (or fetch) on a stub is one billed Durable Object request.
function countedStubMember(stub: object, prop: string | symbol, ns: string): unknown {
  const value = Reflect.get(stub, prop) as unknown;
  if (typeof value !== "function" || prop === "then" || typeof prop === "symbol") return value;
  return (...args: unknown[]) => {
    bump(counts.doRequests, ns);
    return Reflect.apply(value as (...a: unknown[]) => unknown, stub, args); // not .apply: an RPC stub would take "apply" for a method
  };
}

// The Durable Object base class accepts only the real state object, so its SQL storage is patched in place.
function countSql(ctx: DurableObjectState): void {
  const sql = ctx.storage.sql;
  const exec = sql.exec.bind(sql);
  Object.defineProperty(sql, "exec", {
    value: (...args: Parameters<SqlStorage["exec"]>) => {
      const cursor = exec(...args);
      cursors.push(cursor);
      return cursor;
    },
  });
}

export class KeyGuard extends GatewayKeyGuard {
  constructor(ctx: DurableObjectState, env: Env) {
    countSql(ctx);
    super(ctx, countingEnv(env));
  }
  override async alarm(): Promise<void> {
    bump(counts.doAlarms, "KeyGuard");
    return super.alarm();
  }
}

export class RouterState extends GatewayRouterState {
  constructor(ctx: DurableObjectState, env: Env) {
    countSql(ctx);
    super(ctx, countingEnv(env));
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/__costs") {
      const doSql = cursors.reduce((s, c) => ({ rowsRead: s.rowsRead + c.rowsRead, rowsWritten: s.rowsWritten + c.rowsWritten }), { rowsRead: 0, rowsWritten: 0 });
      return Response.json({ ...counts, doSql });
    }
    if (path === "/__costs/reset") {
      Object.assign(counts, { workerRequests: 0, doRequests: {}, doAlarms: {}, d1: { queries: 0, batches: 0, rowsRead: 0, rowsWritten: 0 }, kv: { get: 0, put: 0, delete: 0, list: 0 } });
      cursors = [];
      return Response.json({ reset: true });
    }
    counts.workerRequests++;
    return gateway.fetch(request, countingEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
