// Error answers of every shape a provider, or whatever sits in front of it, may send, under
// /shape/<shape>/<status>/<any path> (api_base: <mock>/shape/<shape>/<status>): every adapter reads
// its error bodies from here in test/worker/error-bodies.test.ts. The message is always SHAPE_MESSAGE.
import type { ServerResponse } from "node:http";

export const SHAPE_MESSAGE = "x went wrong upstream";

const BODIES: Record<string, { type: string; body: string }> = {
  string: { type: "application/json", body: JSON.stringify(SHAPE_MESSAGE) },
  object: { type: "application/json", body: JSON.stringify({ error: { message: SHAPE_MESSAGE, type: "server_error" } }) },
  "error-string": { type: "application/json", body: JSON.stringify({ error: SHAPE_MESSAGE }) },
  "nested-message": { type: "application/json", body: JSON.stringify({ error: { message: { text: SHAPE_MESSAGE } } }) },
  array: { type: "application/json", body: JSON.stringify([{ error: { code: 500, message: SHAPE_MESSAGE, status: "INTERNAL" } }]) },
  detail: { type: "application/json", body: JSON.stringify({ detail: [{ loc: ["body"], msg: SHAPE_MESSAGE, type: "value_error" }] }) },
  number: { type: "application/json", body: "500" },
  null: { type: "application/json", body: "null" },
  empty: { type: "application/json", body: "" },
  html: { type: "text/html", body: `<html><head><title>500</title></head><body><h1>${SHAPE_MESSAGE}</h1></body></html>` },
};

export const SHAPES = Object.keys(BODIES);

export function shapeMock(res: ServerResponse, path: string) {
  const [, , shape, status] = path.split("/");
  const answer = BODIES[shape] ?? BODIES.empty;
  res.writeHead(Number(status) || 500, { "content-type": answer.type });
  res.end(answer.body);
}
