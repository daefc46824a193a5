// Cloudflare Access in front of a home-lab Ollama (a public Tunnel hostname with a Service Auth
// policy), mounted at /tunnel: requests without the service token's CF-Access-Client-Id/-Secret get
// Access's 403 block page and never reach Ollama; with them, the request goes on to the Ollama mock.
import type { IncomingMessage, ServerResponse } from "node:http";

export const ACCESS_CLIENT_ID = "0123abcd.access";
export const ACCESS_CLIENT_SECRET = "access-secret-0123456789abcdef";

/** True when the request may pass; otherwise answers as Access does and returns false. */
export function cloudflareAccess(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers["cf-access-client-id"] === ACCESS_CLIENT_ID && req.headers["cf-access-client-secret"] === ACCESS_CLIENT_SECRET) return true;
  res.writeHead(403, { "content-type": "text/html", "cf-ray": "mock-ray" });
  res.end("<!DOCTYPE html><html><head><title>Forbidden</title></head><body><h1>Forbidden</h1><p>You don't have permission to view this application.</p></body></html>");
  return false;
}
