// The one place the auth middleware (src/auth/middleware.ts) meets UI sessions: a request that carries
// no API key may carry the session cookie instead. Reads (GET, HEAD) need only the cookie; anything
// else also needs the session's CSRF token in `x-csrf-token`, so another site can never make a
// signed-in browser change something (SameSite=Strict already keeps the cookie from its requests).
import { GatewayError } from "../../errors";
import type { Env } from "../../env";
import { readSessionCookie } from "./ui-cookie";
import { csrfTokenMatches, openSession, sessionSecret, type Session } from "../../ui/session";

export const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS = new Set(["GET", "HEAD"]);

export const sessionExpired = () =>
  new GatewayError(401, "auth", "Authentication Error, your UI session is invalid or has expired: sign in again at /ui.", { type: "auth_error", code: "401" });

/** The signed-in session of a request, verified; undefined when it carries no session cookie. */
export async function requestSession(req: Request, env: Env, masterKey: string | undefined): Promise<{ session: Session; secret: string } | undefined> {
  const value = readSessionCookie(req);
  if (value === undefined) return undefined;
  const secret = sessionSecret(env, masterKey);
  const session = secret ? await openSession(secret, value) : undefined;
  if (!session) throw sessionExpired();
  return { session, secret: secret! };
}

/**
 * Who a cookie-authenticated request acts as: "admin", or the virtual key's token (the caller looks it
 * up like a key, so a blocked or deleted key's session stops working too). Undefined: no session.
 */
export async function sessionCaller(req: Request, env: Env, masterKey: string | undefined): Promise<"admin" | { token: string } | undefined> {
  const found = await requestSession(req, env, masterKey);
  if (!found) return undefined;
  if (!SAFE_METHODS.has(req.method)) {
    const token = req.headers.get(CSRF_HEADER);
    if (!token || !(await csrfTokenMatches(found.secret, found.session, token))) {
      throw new GatewayError(403, "permission", `Missing or invalid CSRF token: a signed-in UI session must send its token in the ${CSRF_HEADER} header for ${req.method} requests.`, {
        type: "auth_error",
      });
    }
  }
  return found.session.role === "admin" ? "admin" : { token: found.session.token! };
}
