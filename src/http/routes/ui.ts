// The admin UI's routes. Its files (/ui/, /ui/static/*) are static assets the platform serves
// (wrangler.toml [assets]); these are what the pages call besides the gateway's own API:
//   POST /ui/api/login, POST /ui/api/logout, GET /ui/api/session   sign-in with a session cookie
//   GET /ui/api/models, GET /ui/api/config                        deployments with price/limits/cooldown; masked config
//   GET /user/daily/activity, GET /team/daily/activity             spend per day (LiteLLM's shapes)
//   GET /spend/logs/ui                                             the request log, paged (LiteLLM's shape)
// A virtual key (by header or by its UI session) reads only its own activity and logs.
import { eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticate } from "../middleware/auth";
import { safeEqual } from "../../keys/credentials";
import type { Principal } from "../../core/principal";
import { database, keys } from "../../schema/database";
import { GatewayError, badRequest } from "../../errors";
import { adminOnly, body, query } from "./admin";
import { virtualKeyPrincipal } from "../../keys/lookup";
import { hashKey, tokenOf } from "../../keys/token";
import { logView } from "./spend";
import { dailyActivity } from "../../ui/activity";
import { requestSession } from "../middleware/ui-session";
import { clearedSessionCookie, sessionCookie } from "../middleware/ui-cookie";
import { logsPage, logsUiQuery } from "../../ui/logs";
import { UI_SECURITY_HEADERS } from "../../ui/security-headers";
import { csrfTokenFor, newSession, sealSession, sessionSecret, type Session } from "../../ui/session";
import { deploymentsView, maskedConfig } from "../../ui/views";

export const uiRoutes = new Hono<GatewayEnv>();

type Ctx = Context<GatewayEnv>;

/** The UI's API answers: JSON that no other page may frame, sniff or cache. */
function uiJson(c: Ctx, data: unknown, headers: Record<string, string> = {}) {
  return c.json(data, 200, { ...UI_SECURITY_HEADERS, "Cache-Control": "no-store", ...headers });
}

const forbidden = (message: string) => new GatewayError(403, "permission", message, { type: "auth_error" });

// ---------------------------------------------------------------- sessions

const loginSchema = z.union([
  z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) }),
  z.strictObject({ key: z.string().trim().min(1).max(1024) }),
]);

const envString = (value: unknown) => (typeof value === "string" && value ? value : undefined);

/** Sign-in comes only from the UI's own page: a form on another site cannot log a browser in. */
function sameOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.get("origin");
  return !origin || origin === new URL(req.url).origin;
}

/** Who the credentials are: the admin (LiteLLM's UI_USERNAME/UI_PASSWORD, else "admin" and the master key), or a key. */
async function signIn(c: Ctx, input: z.infer<typeof loginSchema>, masterKey: string): Promise<Session> {
  if ("key" in input) {
    if (safeEqual(input.key, masterKey)) return newSession("admin", "admin");
    if (!input.key.startsWith("sk-")) throw new GatewayError(401, "auth", "Invalid key: give the master key or a virtual key (sk-...).", { type: "auth_error" });
    const token = await hashKey(input.key);
    const principal = await virtualKeyPrincipal(c.env, token, true); // a blocked, expired or unknown key: its 401
    return newSession("key", principal.key?.key_alias ?? principal.key?.key_name ?? "virtual key", token);
  }
  const username = envString(c.env.UI_USERNAME) ?? "admin";
  const password = envString(c.env.UI_PASSWORD) ?? masterKey;
  // Both comparisons always run, so the time taken does not tell which one failed.
  const userOk = safeEqual(input.username, username);
  const passwordOk = safeEqual(input.password, password);
  if (!userOk || !passwordOk) throw new GatewayError(401, "auth", "Invalid username or password.", { type: "auth_error" });
  return newSession("admin", username);
}

/** What the page needs to know about its session. */
async function sessionView(c: Ctx, session: Session, secret: string) {
  const settings = c.var.runtime.config.general_settings;
  let key: Record<string, unknown> | undefined;
  if (session.role === "key") {
    const p = await virtualKeyPrincipal(c.env, session.token!);
    key = { token: session.token, key_name: p.key?.key_name, key_alias: p.key?.key_alias, models: p.key?.models ?? [] };
  }
  return {
    role: session.role,
    user: session.user,
    key,
    csrf_token: await csrfTokenFor(secret, session),
    expires_at: new Date(session.exp * 1000).toISOString(),
    settings: { store_prompts_in_spend_logs: settings.store_prompts_in_spend_logs === true, disable_spend_logs: settings.disable_spend_logs === true },
  };
}

uiRoutes.post("/ui/api/login", async (c) => {
  if (!sameOrigin(c.req.raw)) throw forbidden("Sign-in must come from the gateway's own /ui page.");
  const masterKey = c.var.runtime.masterKey;
  const secret = sessionSecret(c.env, masterKey);
  if (!masterKey || !secret) throw new GatewayError(400, "bad_request", "This gateway has no master key, so it is open and needs no sign-in: set general_settings.master_key (or LITELLM_MASTER_KEY) to protect it.");
  const session = await signIn(c, await body(c, loginSchema), masterKey);
  return uiJson(c, await sessionView(c, session, secret), { "Set-Cookie": sessionCookie(c.req.raw, await sealSession(secret, session)) });
});

// A change like any other: the session's CSRF token is required (checked by authenticate).
uiRoutes.post("/ui/api/logout", authenticate, (c) => uiJson(c, { signed_out: true }, { "Set-Cookie": clearedSessionCookie(c.req.raw) }));

uiRoutes.get("/ui/api/session", async (c) => {
  const masterKey = c.var.runtime.masterKey;
  if (!masterKey) {
    return uiJson(c, { role: "admin", user: "open", open: true, csrf_token: "", settings: {} });
  }
  const found = await requestSession(c.req.raw, c.env, masterKey);
  if (!found) throw new GatewayError(401, "auth", "Not signed in.", { type: "auth_error", code: "401" });
  return uiJson(c, await sessionView(c, found.session, found.secret));
});

// ---------------------------------------------------------------- models and settings

uiRoutes.get("/ui/api/models", authenticate, async (c) => uiJson(c, await deploymentsView(c.var.runtime, c.env, c.var.principal)));

uiRoutes.get("/ui/api/config", ...adminOnly, (c) => uiJson(c, { config: maskedConfig(c.var.runtime) }));

// ---------------------------------------------------------------- activity and logs

/** The key whose data a caller may read: a virtual key only its own; the admin any, or all (undefined). */
async function readableKey(principal: Principal, asked: string | undefined): Promise<string | undefined> {
  const token = asked ? await tokenOf(asked) : undefined;
  if (principal.kind !== "virtual_key") return token;
  if (token && token !== principal.token) throw forbidden("A virtual key can only read its own activity and logs.");
  return principal.token;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const activityQuery = z.object({
  start_date: z.string().regex(DAY, "expected YYYY-MM-DD").optional(),
  end_date: z.string().regex(DAY, "expected YYYY-MM-DD").optional(),
  model: z.string().optional(),
  api_key: z.string().optional(),
  team_ids: z.string().optional(),
});

function activityRange(q: z.infer<typeof activityQuery>) {
  const end = q.end_date ?? new Date().toISOString().slice(0, 10);
  const start = q.start_date ?? new Date(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  if (start > end) throw badRequest(`start_date ${start} is after end_date ${end}`, "start_date");
  return { start, end };
}

uiRoutes.get("/user/daily/activity", authenticate, async (c) => {
  const q = query(c, activityQuery);
  const apiKey = await readableKey(c.var.principal, q.api_key);
  return uiJson(c, await dailyActivity(database(c.env.DB), c.var.runtime, { ...activityRange(q), apiKey, model: q.model }, false));
});

uiRoutes.get("/team/daily/activity", ...adminOnly, async (c) => {
  const q = query(c, activityQuery);
  const teamIds = q.team_ids?.split(",").map((t) => t.trim()).filter(Boolean);
  const apiKey = q.api_key ? await tokenOf(q.api_key) : undefined;
  return uiJson(c, await dailyActivity(database(c.env.DB), c.var.runtime, { ...activityRange(q), apiKey, model: q.model, teamIds }, true));
});

uiRoutes.get("/spend/logs/ui", authenticate, async (c) => {
  const q = query(c, logsUiQuery);
  const db = database(c.env.DB);
  let asked = q.api_key;
  if (q.key_alias) {
    const row = await db.select({ token: keys.token }).from(keys).where(eq(keys.key_alias, q.key_alias)).get();
    if (c.var.principal.kind === "virtual_key" && row?.token !== c.var.principal.token) throw forbidden("A virtual key can only read its own activity and logs.");
    if (!row) return uiJson(c, { data: [], total: 0, page: q.page, page_size: q.page_size, total_pages: 0 });
    asked = row.token;
  }
  const page = await logsPage(db, q, await readableKey(c.var.principal, asked));
  return uiJson(c, { data: page.rows.map(logView), total: page.total, page: page.page, page_size: page.page_size, total_pages: page.total_pages });
});
