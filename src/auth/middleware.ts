// Authentication: sets c.var.principal, or answers 401 in LiteLLM's words.
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app";
import { GatewayError } from "../errors";
import { extractApiKey, safeEqual } from "./credentials";
import { virtualKeyPrincipal } from "../keys/lookup";
import { MASTER, OPEN } from "./principal";

export const authError = (message = "Authentication Error, Invalid proxy server token passed.") =>
  new GatewayError(401, "auth", message, { type: "auth_error", code: "401" });

/** Any valid caller: the master key, or a virtual key (src/keys/lookup.ts). */
export const authenticate = createMiddleware<GatewayEnv>(async (c, next) => {
  const { masterKey } = c.var.runtime;
  if (!masterKey) {
    c.set("principal", OPEN);
    return next();
  }
  const key = extractApiKey(c.req.raw.headers);
  if (!key) throw authError("Authentication Error, No api key passed in.");
  if (safeEqual(key, masterKey)) {
    c.set("principal", MASTER);
    return next();
  }
  if (key.startsWith("sk-")) {
    c.set("principal", await virtualKeyPrincipal(c.env, key));
    return next();
  }
  throw authError();
});

/** Admin routes: the master key only. */
export const requireMaster = createMiddleware<GatewayEnv>(async (c, next) => {
  const principal = c.var.principal;
  if (principal.kind !== "master" && principal.kind !== "open") {
    throw new GatewayError(403, "permission", "Only the proxy admin (master key) can call this route.", { type: "auth_error" });
  }
  return next();
});
