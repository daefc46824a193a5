// Mock of Vertex AI under /vertex (api_base: <mock>/vertex), and of Google's OAuth token endpoint.
//   GET  /vertex/__service_account?email=   a service account key JSON for a key pair made at start
//                                           (token_uri pointing here), as Google's console gives one
//   POST /vertex/token                      the JWT-bearer grant: the assertion's RS256 signature is
//                                           verified with the key's public half, its claims checked;
//                                           answers {access_token, expires_in, token_type} or Google's
//                                           {"error","error_description"}
//   GET  /vertex/__exchanges?email=         how many tokens were issued for that account
//   POST /vertex/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent|streamGenerateContent|predict
//   POST /vertex/v1/projects/{p}/locations/{l}/publishers/anthropic/models/{m}:rawPredict|streamRawPredict
// Model calls need `Authorization: Bearer <a token issued here>`; Claude bodies need
// anthropic_version "vertex-2023-10-16" and no `model`. Answers come from the Gemini and Anthropic mocks.
import { generateKeyPairSync, verify } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { anthropicRespond } from "./anthropic";
import { geminiRespond } from "./gemini";
import { json, requestedError } from "./wire";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const KEY_ID = "mock-key-id-0001";
const issued = new Map<string, string>(); // token -> client_email
const exchanges = new Map<string, number>();

const googleError = (res: ServerResponse, code: number, message: string, status: string) => json(res, code, { error: { code, message, status } });

function serviceAccount(req: IncomingMessage, email: string) {
  return {
    type: "service_account",
    project_id: "mock-project",
    private_key_id: KEY_ID,
    private_key: PRIVATE_PEM,
    client_email: email,
    client_id: "100000000000000000001",
    token_uri: `http://${req.headers.host}/vertex/token`,
  };
}

/** Google's token endpoint: verifies the signed assertion as Google does. */
function token(req: IncomingMessage, res: ServerResponse, text: string) {
  const form = new URLSearchParams(text);
  const fail = (description: string) => json(res, 400, { error: "invalid_grant", error_description: description });
  if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return json(res, 400, { error: "unsupported_grant_type", error_description: "Invalid grant_type" });
  const parts = (form.get("assertion") ?? "").split(".");
  if (parts.length !== 3) return fail("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
  const decode = (p: string) => JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  const header = decode(parts[0]);
  const claims = decode(parts[1]);
  if (header.alg !== "RS256" || header.kid !== KEY_ID) return fail("Invalid JWT Signature.");
  const signed = verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2], "base64url"));
  if (!signed) return fail("Invalid JWT Signature.");
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== `http://${req.headers.host}/vertex/token`) return fail("Invalid JWT: audience mismatch");
  if (!String(claims.scope).includes("https://www.googleapis.com/auth/cloud-platform")) return fail("Invalid OAuth scope or ID token audience provided.");
  if (!(claims.iat <= now + 60 && claims.exp > now && claims.exp - claims.iat <= 3600)) return fail("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
  if (String(claims.iss).startsWith("disabled")) return fail("Invalid grant: account not found");
  const access = `ya29.mock-${crypto.randomUUID()}`;
  issued.set(access, claims.iss);
  exchanges.set(claims.iss, (exchanges.get(claims.iss) ?? 0) + 1);
  // Accounts named short-* get tokens about to expire (the gateway must renew them).
  return json(res, 200, { access_token: access, expires_in: String(claims.iss).startsWith("short") ? 120 : 3599, token_type: "Bearer" });
}

/** Routes under /vertex; `text` is the raw body (the token endpoint's is a form, not JSON). */
export async function vertexMock(req: IncomingMessage, res: ServerResponse, path: string, text: string) {
  const url = new URL(req.url ?? "/", "http://mock");
  if (path === "/vertex/__service_account") return json(res, 200, serviceAccount(req, url.searchParams.get("email") ?? "gateway@mock-project.iam.gserviceaccount.com"));
  if (path === "/vertex/__exchanges") return json(res, 200, { exchanges: exchanges.get(url.searchParams.get("email") ?? "") ?? 0 });
  if (path === "/vertex/token") return token(req, res, text);

  const m = /^\/vertex\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^:]+):(\w+)$/.exec(path);
  if (!m) return googleError(res, 404, `The requested URL ${path} was not found on this server.`, "NOT_FOUND");
  const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
  if (!bearer || !issued.has(bearer)) {
    return googleError(res, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "UNAUTHENTICATED");
  }
  const [, , location, publisher, rawModel, method] = m;
  const model = decodeURIComponent(rawModel);
  if (location !== "global" && !req.headers.host) return googleError(res, 400, "bad location", "INVALID_ARGUMENT");
  const body = text ? JSON.parse(text) : {};

  if (publisher === "anthropic") {
    if (method !== "rawPredict" && method !== "streamRawPredict") return googleError(res, 400, `Unsupported method ${method} for a partner model`, "INVALID_ARGUMENT");
    if (body.anthropic_version !== "vertex-2023-10-16") return json(res, 400, { type: "error", error: { type: "invalid_request_error", message: "anthropic_version: Input should be 'vertex-2023-10-16'" } });
    if ("model" in body) return json(res, 400, { type: "error", error: { type: "invalid_request_error", message: "model: Extra inputs are not permitted" } });
    if ((method === "streamRawPredict") !== (body.stream === true)) return googleError(res, 400, "stream must match the method (streamRawPredict)", "INVALID_ARGUMENT");
    const { anthropic_version: _version, ...rest } = body;
    return anthropicRespond(res, { ...rest, model }, false);
  }
  if (method === "predict") {
    const failure = requestedError(model);
    if (failure) return googleError(res, failure.status, `mock vertex error ${failure.status}`, "INTERNAL");
    if (!Array.isArray(body.instances)) return googleError(res, 400, "instances is required", "INVALID_ARGUMENT");
    const dims = body.parameters?.outputDimensionality ?? 3;
    const predictions = body.instances.map((inst: { content: string }, i: number) => ({
      embeddings: { values: Array.from({ length: dims }, (_, k) => 0.5 * (k + 1) + i), statistics: { token_count: String(inst.content).split(/\s+/).length, truncated: false } },
    }));
    return json(res, 200, { predictions, metadata: { billableCharacterCount: 10 } });
  }
  return geminiRespond(req, res, model, method, body);
}
