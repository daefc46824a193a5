// LiteLLM's /spend/logs/ui: one page of the request log with filters, and the total for paging.
import { and, count, desc, eq, gte, lte, ne, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import { spendLogs } from "../schema/db";
import type { database } from "../schema/database";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** LiteLLM's UI sends "YYYY-MM-DD HH:MM:SS" (UTC); ISO timestamps and plain days work too. */
const LITELLM_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/;

function toMs(text: string, endOfDay: boolean): number {
  if (DATE_ONLY.test(text)) return Date.parse(`${text}T${endOfDay ? "23:59:59.999" : "00:00:00"}Z`);
  if (LITELLM_TIME.test(text)) return Date.parse(`${text.replace(" ", "T")}Z`);
  return Date.parse(text);
}

const time = z.string().refine((s) => !Number.isNaN(toMs(s, false)), "expected YYYY-MM-DD, 'YYYY-MM-DD HH:MM:SS' (UTC) or an ISO timestamp");

export const logsUiQuery = z.object({
  api_key: z.string().optional(),
  key_alias: z.string().optional(),
  user_id: z.string().optional(),
  team_id: z.string().optional(),
  request_id: z.string().optional(),
  /** A model group or an upstream model id. */
  model: z.string().optional(),
  status_filter: z.enum(["success", "failure"]).optional(),
  min_spend: z.coerce.number().optional(),
  max_spend: z.coerce.number().optional(),
  start_date: time.optional(),
  end_date: time.optional(),
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(50),
});
export type LogsUiQuery = z.infer<typeof logsUiQuery>;

/** `token`: the key's token, already resolved from api_key or key_alias by the route. */
export async function logsPage(db: ReturnType<typeof database>, q: LogsUiQuery, token: string | undefined) {
  const conditions: (SQL | undefined)[] = [
    token ? eq(spendLogs.api_key, token) : undefined,
    q.user_id ? eq(spendLogs.user, q.user_id) : undefined,
    q.team_id ? eq(spendLogs.team_id, q.team_id) : undefined,
    q.request_id ? eq(spendLogs.request_id, q.request_id) : undefined,
    q.model ? or(eq(spendLogs.model_group, q.model), eq(spendLogs.model, q.model)) : undefined,
    q.status_filter === "success" ? eq(spendLogs.status, "success") : q.status_filter === "failure" ? ne(spendLogs.status, "success") : undefined,
    q.min_spend !== undefined ? gte(spendLogs.spend, q.min_spend) : undefined,
    q.max_spend !== undefined ? lte(spendLogs.spend, q.max_spend) : undefined,
    q.start_date ? gte(spendLogs.start_time, toMs(q.start_date, false)) : undefined,
    q.end_date ? lte(spendLogs.start_time, toMs(q.end_date, true)) : undefined,
  ];
  const where = and(...conditions);
  const [[{ total }], rows] = await db.batch([
    db.select({ total: count() }).from(spendLogs).where(where),
    db
      .select()
      .from(spendLogs)
      .where(where)
      .orderBy(desc(spendLogs.start_time))
      .limit(q.page_size)
      .offset((q.page - 1) * q.page_size),
  ]);
  return { rows, total, page: q.page, page_size: q.page_size, total_pages: Math.ceil(total / q.page_size) };
}
