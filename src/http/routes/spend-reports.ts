// LiteLLM's spend reports over the last 30 days, read from the daily aggregates (daily_spend), never a
// log scan: /global/spend/keys, /global/spend/models, /global/spend/teams, /global/spend/logs (LiteLLM's
// Last30dKeysBySpend, Last30dModelsBySpend and MonthlyGlobalSpend views), and the row lists /spend/keys
// and /spend/users. Shapes as LiteLLM's proxy/spend_tracking/spend_management_endpoints.py; "model" is the
// model group (what clients ask for), and amounts are not rounded.
import { and, desc, eq, gte, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import { tokenOf } from "../../keys/token";
import { dailySpend, database, keys, teams, users } from "../../schema/database";
import { adminOnly, query } from "./admin";
import { keyView } from "./keys";
import { userView } from "./teams-users";

export const spendReportRoutes = new Hono<GatewayEnv>();

const DAY_MS = 86_400_000;
/** The first day (YYYY-MM-DD, UTC) of LiteLLM's "last 30 days". */
const since30d = () => new Date(Date.now() - 30 * DAY_MS).toISOString().slice(0, 10);
const totalSpend = sql<number>`sum(${dailySpend.spend})`;

const limit = z.coerce.number().int().min(1);

/** The keys with the most spend in the last 30 days. */
spendReportRoutes.get("/global/spend/keys", ...adminOnly, async (c) => {
  const q = query(c, z.object({ limit: limit.optional() }));
  const rows = await database(c.env.DB)
    .select({ api_key: dailySpend.api_key, key_alias: keys.key_alias, key_name: keys.key_name, total_spend: totalSpend })
    .from(dailySpend)
    .leftJoin(keys, eq(keys.token, dailySpend.api_key))
    .where(gte(dailySpend.date, since30d()))
    .groupBy(dailySpend.api_key)
    .orderBy(desc(totalSpend))
    .limit(q.limit ?? -1)
    .all();
  return c.json(rows);
});

/** The models (groups) with the most spend in the last 30 days. */
spendReportRoutes.get("/global/spend/models", ...adminOnly, async (c) => {
  const q = query(c, z.object({ limit: limit.default(10) }));
  const rows = await database(c.env.DB)
    .select({ model: dailySpend.model_group, total_spend: totalSpend })
    .from(dailySpend)
    .where(gte(dailySpend.date, since30d()))
    .groupBy(dailySpend.model_group)
    .orderBy(desc(totalSpend))
    .limit(q.limit)
    .all();
  return c.json(rows);
});

/** Spend per day over the last 30 days, of every key or of one (`api_key`: the key or its token). */
spendReportRoutes.get("/global/spend/logs", ...adminOnly, async (c) => {
  const { api_key } = query(c, z.object({ api_key: z.string().min(1).optional() }));
  const token = api_key ? await tokenOf(api_key) : undefined;
  const rows = await database(c.env.DB)
    .select({ date: dailySpend.date, spend: totalSpend })
    .from(dailySpend)
    .where(and(gte(dailySpend.date, since30d()), token ? eq(dailySpend.api_key, token) : undefined))
    .groupBy(dailySpend.date)
    .orderBy(dailySpend.date)
    .all();
  return c.json(token ? rows.map((r) => ({ ...r, api_key: token })) : rows);
});

/** Spend per team per day over the last 30 days, as LiteLLM's admin UI reads it. */
spendReportRoutes.get("/global/spend/teams", ...adminOnly, async (c) => {
  const rows = await database(c.env.DB)
    .select({ date: dailySpend.date, team_id: dailySpend.team_id, team_alias: teams.team_alias, total_spend: totalSpend })
    .from(dailySpend)
    .leftJoin(teams, eq(teams.team_id, dailySpend.team_id))
    .where(gte(dailySpend.date, since30d()))
    .groupBy(dailySpend.date, dailySpend.team_id)
    .orderBy(dailySpend.date)
    .all();
  const byDate = new Map<string, Record<string, number>>();
  const perTeam = new Map<string, number>();
  for (const r of rows) {
    const team = r.team_id ? (r.team_alias ?? r.team_id) : "Unassigned";
    const day = byDate.get(r.date) ?? byDate.set(r.date, {}).get(r.date)!;
    day[team] = (day[team] ?? 0) + r.total_spend;
    perTeam.set(team, (perTeam.get(team) ?? 0) + r.total_spend);
  }
  return c.json({
    daily_spend: [...byDate].map(([date, spend]) => ({ date, ...spend })),
    teams: [...perTeam.keys()],
    total_spend_per_team: [...perTeam]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([team_id, total_spend]) => ({ team_id, total_spend })),
  });
});

/** Every key, most spend first (their budget period's spend). */
spendReportRoutes.get("/spend/keys", ...adminOnly, async (c) => {
  const rows = await database(c.env.DB).select().from(keys).orderBy(desc(keys.spend)).all();
  return c.json(rows.map((r) => keyView(r)));
});

/** Every user, most spend first; or the one `user_id`, in a list. */
spendReportRoutes.get("/spend/users", ...adminOnly, async (c) => {
  const { user_id } = query(c, z.object({ user_id: z.string().min(1).optional() }));
  const rows = await database(c.env.DB).select().from(users).where(user_id ? eq(users.user_id, user_id) : undefined).orderBy(desc(users.spend)).all();
  return c.json(rows.map((u) => userView(u, [])));
});
