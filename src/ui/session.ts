// Admin UI sessions: a signed, stateless cookie value and the CSRF token bound to it.
//
// The cookie holds `<payload>.<signature>` (base64url): who signed in (the admin, or a virtual key by
// its SHA-256 token: never a key itself, never the master key), a random session id and an expiry.
// The signature is HMAC-SHA256 with a key derived (HKDF) from the Worker secret LITELLM_SALT_KEY,
// else from the master key; changing that secret ends every session. The CSRF token is an HMAC of the
// session id with the same key: the page reads it from /ui/api/session and sends it as a header.
import { z } from "zod";
import type { Env } from "../env";
import { base64url, fromBase64url } from "../lib/base64url";
import { derivedKey, type KeyPurpose } from "../lib/derived-key";

/** How long a sign-in lasts. */
export const SESSION_TTL_S = 12 * 60 * 60;

const sessionSchema = z.object({
  v: z.literal(1),
  /** admin: the master key's rights. key: a virtual key's own data only. */
  role: z.enum(["admin", "key"]),
  /** The virtual key's SHA-256 token (role key). */
  token: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Who signed in, for display ("admin", the UI_USERNAME, or the key's name). */
  user: z.string().max(256),
  /** Random session id; the CSRF token is derived from it. */
  sid: z.string().min(16).max(64),
  /** Expiry, epoch seconds. */
  exp: z.number().int(),
});
export type Session = z.infer<typeof sessionSchema>;

/** The secret sessions are signed with: LITELLM_SALT_KEY, else the master key; none = no sessions. */
export function sessionSecret(env: Env, masterKey: string | undefined): string | undefined {
  return typeof env.LITELLM_SALT_KEY === "string" && env.LITELLM_SALT_KEY ? env.LITELLM_SALT_KEY : masterKey;
}

const encoder = new TextEncoder();

const SESSION_KEY: KeyPurpose = {
  salt: "edge-llm-gateway admin UI",
  info: "session v1",
  algorithm: { name: "HMAC", hash: "SHA-256", length: 256 },
  usages: ["sign", "verify"],
};
const signingKey = (secret: string) => derivedKey(secret, SESSION_KEY);

async function mac(secret: string, text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await signingKey(secret), encoder.encode(text))));
}

async function macMatches(secret: string, text: string, signature: string): Promise<boolean> {
  const bytes = fromBase64url(signature);
  return !!bytes && crypto.subtle.verify("HMAC", await signingKey(secret), bytes, encoder.encode(text));
}

export function newSession(role: Session["role"], user: string, token?: string, now = Date.now()): Session {
  return { v: 1, role, token, user, sid: base64url(crypto.getRandomValues(new Uint8Array(18))), exp: Math.floor(now / 1000) + SESSION_TTL_S };
}

/** The cookie value for a session. */
export async function sealSession(secret: string, session: Session): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify(session)));
  return `${payload}.${await mac(secret, `session.${payload}`)}`;
}

/** The session in a cookie value, or undefined when it is malformed, forged, tampered with or expired. */
export async function openSession(secret: string, value: string, now = Date.now()): Promise<Session | undefined> {
  const dot = value.indexOf(".");
  if (dot < 1 || value.length > 2048) return undefined;
  const payload = value.slice(0, dot);
  if (!(await macMatches(secret, `session.${payload}`, value.slice(dot + 1)))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
  } catch {
    return undefined;
  }
  const session = sessionSchema.safeParse(parsed);
  if (!session.success || session.data.exp * 1000 <= now) return undefined;
  if ((session.data.role === "key") !== (session.data.token !== undefined)) return undefined;
  return session.data;
}

export const csrfTokenFor = (secret: string, session: Session) => mac(secret, `csrf.${session.sid}`);

export const csrfTokenMatches = (secret: string, session: Session, token: string) => macMatches(secret, `csrf.${session.sid}`, token);
