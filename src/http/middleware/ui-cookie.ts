// The session cookie: HttpOnly (page scripts never see it), SameSite=Strict (never sent from another
// site), Path=/ (the UI calls the gateway's own routes). Over https it is `__Host-` prefixed and Secure;
// over plain http (npm start on 127.0.0.1) it cannot be Secure, so it has a plain name.
import { parse, serialize } from "hono/utils/cookie";
import { SESSION_TTL_S } from "../../ui/session";

const NAME = "litellm_ui_session";

const isHttps = (req: Request) => req.url.startsWith("https:");
const cookieName = (req: Request) => (isHttps(req) ? `__Host-${NAME}` : NAME);

/** The session cookie's value, if the request has one. */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  const name = cookieName(req);
  return parse(header, name)[name];
}

/** Set-Cookie for a new session; an empty value with maxAge 0 clears it. */
export function sessionCookie(req: Request, value: string, maxAge = SESSION_TTL_S): string {
  return serialize(cookieName(req), value, { path: "/", httpOnly: true, sameSite: "Strict", secure: isHttps(req), maxAge });
}

export const clearedSessionCookie = (req: Request) => sessionCookie(req, "", 0);
