// Spend reporting (LiteLLM's /spend/logs, /global/spend, /global/spend/report, /spend/calculate) and
// the price map upload (/model/cost_map). Reports read the daily aggregates, never the whole log;
// they trail live spend by at most a guard flush (about a second, longer while D1 is failing).
import { and, desc, eq, gte, lte, sql, sum } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import { database, dailySpend, keys, spendLogs, teams, type SpendLogRow } from "../../schema/database";
import { badRequest } from "../../errors";
import { adminOnly, body, iso, query } from "./admin";
import { tokenOf } from "../../keys/token";
import { readJsonBody } from "../../lib/body";
import { usageSchema } from "../../schema/openai";
import { costOf } from "../../spend/cost";
import { estimatePromptTokens } from "../../core/call";
import { BUNDLED_PRICES_CHECKED, PRICE_MAP_KV_KEY, clearPriceMap, parsePriceMap, priceBook, priceOf, storePriceMap, type StoredPriceMap } from "../../spend/prices";
import bundledFile from "../../spend/prices.json";
import { spendReportRoutes } from "./spend-reports";

export const spendRoutes = new Hono<GatewayEnv>();
spendRoutes.route("/", spendReportRoutes);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A day (YYYY-MM-DD, whole day) or an ISO timestamp. */
const dateParam = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected a date (YYYY-MM-DD) or an ISO timestamp");

function range(start?: string, end?: string): { from?: number; to?: number } {
  return {
    from: start ? Date.parse(DATE.test(start) ? `${start}T00:00:00Z` : start) : undefined,
    to: end ? Date.parse(DATE.test(end) ? `${end}T23:59:59.999Z` : end) : undefined,
  };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function logView(r: SpendLogRow) {
  return {
    request_id: r.request_id,
    call_type: r.call_type,
    api_key: r.api_key,
    spend: r.spend,
    total_tokens: r.total_tokens,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    cached_tokens: r.cached_tokens,
    startTime: iso(r.start_time),
    endTime: iso(r.end_time),
    duration_ms: r.duration_ms,
    model: r.model,
    model_id: r.model_id,
    model_group: r.model_group,
    custom_llm_provider: r.custom_llm_provider,
    api_base: r.api_base,
    user: r.user,
    team_id: r.team_id,
    end_user: r.end_user,
    cache_hit: r.cache_hit,
    status: r.status,
    request_tags: r.request_tags,
    metadata: r.metadata,
    messages: r.messages,
    response: r.response,
  };
}

const logsQuery = z.object({
  api_key: z.string().optional(),
  user_id: z.string().optional(),
  team_id: z.string().optional(),
  request_id: z.string().optional(),
  start_date: dateParam.optional(),
  end_date: dateParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

spendRoutes.get("/spend/logs", ...adminOnly, async (c) => {
  const q = query(c, logsQuery);
  const { from, to } = range(q.start_date, q.end_date);
  const conditions = [
    q.api_key ? eq(spendLogs.api_key, await tokenOf(q.api_key)) : undefined,
    q.user_id ? eq(spendLogs.user, q.user_id) : undefined,
    q.team_id ? eq(spendLogs.team_id, q.team_id) : undefined,
    q.request_id ? eq(spendLogs.request_id, q.request_id) : undefined,
    from !== undefined ? gte(spendLogs.start_time, from) : undefined,
    to !== undefined ? lte(spendLogs.start_time, to) : undefined,
  ].filter((x) => x !== undefined);
  const rows = await database(c.env.DB).select().from(spendLogs).where(and(...conditions)).orderBy(desc(spendLogs.start_time)).limit(q.limit).all();
  return c.json(rows.map(logView));
});

spendRoutes.get("/global/spend", ...adminOnly, async (c) => {
  const [totals] = await database(c.env.DB)
    .select({ spend: sum(dailySpend.spend), unpriced: sum(dailySpend.unpriced_requests), requests: sum(dailySpend.requests) })
    .from(dailySpend)
    .all();
  return c.json({
    spend: Number(totals?.spend ?? 0),
    max_budget: c.var.runtime.config.litellm_settings.max_budget ?? 0,
    requests: Number(totals?.requests ?? 0),
    /** Requests to models without a known price (charged 0). */
    unpriced_requests: Number(totals?.unpriced ?? 0),
  });
});

const reportQuery = z.object({
  start_date: z.string().regex(DATE, "expected YYYY-MM-DD").optional(),
  end_date: z.string().regex(DATE, "expected YYYY-MM-DD").optional(),
  group_by: z.enum(["team", "api_key", "model"]).default("team"),
});

/** Per day, per team / key / model, each with its per-model breakdown; from the daily aggregates. */
spendRoutes.get("/global/spend/report", ...adminOnly, async (c) => {
  const q = query(c, reportQuery);
  const end = q.end_date ?? day(Date.now());
  const start = q.start_date ?? day(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000);
  const db = database(c.env.DB);
  const groupColumn = q.group_by === "team" ? dailySpend.team_id : q.group_by === "api_key" ? dailySpend.api_key : dailySpend.model_group;
  const rows = await db
    .select({
      date: dailySpend.date,
      group: groupColumn,
      model: dailySpend.model_group,
      spend: sql<number>`sum(${dailySpend.spend})`,
      tokens: sql<number>`sum(${dailySpend.prompt_tokens} + ${dailySpend.completion_tokens})`,
      requests: sql<number>`sum(${dailySpend.requests})`,
      failures: sql<number>`sum(${dailySpend.failures})`,
    })
    .from(dailySpend)
    .where(and(gte(dailySpend.date, start), lte(dailySpend.date, end)))
    .groupBy(dailySpend.date, groupColumn, dailySpend.model_group)
    .orderBy(dailySpend.date)
    .all();
  // Names people recognise: team aliases, key aliases / display names.
  const names = new Map<string, string>();
  if (q.group_by === "team") for (const t of await db.select({ id: teams.team_id, alias: teams.team_alias }).from(teams).all()) names.set(t.id, t.alias ?? t.id);
  if (q.group_by === "api_key") for (const k of await db.select({ token: keys.token, alias: keys.key_alias, name: keys.key_name }).from(keys).all()) names.set(k.token, k.alias ?? k.name);

  const listName = { team: "teams", api_key: "api_keys", model: "models" }[q.group_by];
  const days = new Map<string, Map<string, { spend: number; tokens: number; requests: number; failures: number; metadata: { model: string; spend: number; total_tokens: number; requests: number }[] }>>();
  for (const r of rows) {
    const groups = days.get(r.date) ?? days.set(r.date, new Map()).get(r.date)!;
    const g = groups.get(r.group) ?? groups.set(r.group, { spend: 0, tokens: 0, requests: 0, failures: 0, metadata: [] }).get(r.group)!;
    g.spend += r.spend;
    g.tokens += r.tokens;
    g.requests += r.requests;
    g.failures += r.failures;
    g.metadata.push({ model: r.model, spend: r.spend, total_tokens: r.tokens, requests: r.requests });
  }
  return c.json(
    [...days].map(([date, groups]) => ({
      group_by_day: date,
      [listName]: [...groups].map(([id, g]) => ({
        ...(q.group_by === "team" ? { team_id: id || null, team_name: id ? (names.get(id) ?? id) : "no team" } : q.group_by === "api_key" ? { api_key: id, key_name: names.get(id) ?? null } : { model: id }),
        total_spend: g.spend,
        total_tokens: g.tokens,
        requests: g.requests,
        failures: g.failures,
        metadata: g.metadata,
      })),
    })),
  );
});

const calculateSchema = z.strictObject({
  model: z.string().min(1).optional(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })).min(1).optional(),
  completion_response: z.looseObject({ model: z.string().optional(), usage: usageSchema }).optional(),
}).refine((b) => b.messages || b.completion_response, "give `messages` or `completion_response`");

/** LiteLLM's cost calculator: a response's cost, or a prompt's, at a model group's prices. */
spendRoutes.post("/spend/calculate", ...adminOnly, async (c) => {
  const input = await body(c, calculateSchema);
  const name = input.model ?? input.completion_response?.model;
  const group = name ? c.var.runtime.resolveModel(name) : undefined;
  if (!group) throw badRequest(`Unknown model '${name ?? ""}': give a model name from /v1/models`, "model");
  const price = priceOf(group.deployments[0], await priceBook(c.env));
  if (!price) return c.json({ cost: 0, price_known: false });
  const usage = input.completion_response?.usage ?? {
    prompt_tokens: estimatePromptTokens({ endpoint: "chat", body: { model: group.name, messages: input.messages as never } }),
    completion_tokens: 0,
    total_tokens: 0,
  };
  return c.json({ cost: costOf(usage, price), price_known: true });
});

// ---------------------------------------------------------------- price map

const MAX_PRICE_MAP_BYTES = 16 * 1024 * 1024;

/** Upload LiteLLM's model_prices_and_context_window.json (or any subset): it overrides the bundled table. */
spendRoutes.post("/model/cost_map", ...adminOnly, async (c) => {
  const raw = await readJsonBody(c.req.raw, MAX_PRICE_MAP_BYTES);
  const { prices, skipped } = parsePriceMap(raw);
  if (!prices.size) throw badRequest("no entry of this map has input_cost_per_token; expected LiteLLM's model_prices_and_context_window.json format");
  const stored = await storePriceMap(c.env, prices);
  return c.json({ models_loaded: prices.size, skipped_entries: skipped, uploaded_at: iso(stored.uploadedAt) });
});

spendRoutes.get("/model/cost_map", ...adminOnly, async (c) => {
  const stored = await c.env.KV.get<StoredPriceMap>(PRICE_MAP_KV_KEY, "json");
  return c.json({
    bundled: { checked: BUNDLED_PRICES_CHECKED, models: Object.keys(bundledFile.models).length },
    uploaded: stored ? { uploaded_at: iso(stored.uploadedAt), models: Object.keys(stored.prices).length } : null,
  });
});

spendRoutes.delete("/model/cost_map", ...adminOnly, async (c) => {
  await clearPriceMap(c.env);
  return c.json({ deleted: true });
});
