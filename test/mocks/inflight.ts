// Mock upstream that counts concurrent requests, for max_parallel_requests tests:
//   POST /inflight/<group>/v1/chat/completions  an OpenAI chat answer after 200 ms (or `slow-<ms>` in the model name)
//   GET  /inflight/<group>                      { current, max, total } for that group
import type { IncomingMessage, ServerResponse } from "node:http";

const groups = new Map<string, { current: number; max: number; total: number }>();

export async function inflight(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, any>): Promise<void> {
  const name = path.split("/")[2] ?? "";
  const g = groups.get(name) ?? groups.set(name, { current: 0, max: 0, total: 0 }).get(name)!;
  res.setHeader("content-type", "application/json");
  if (req.method === "GET") {
    res.end(JSON.stringify(g));
    return;
  }
  g.current++;
  g.total++;
  g.max = Math.max(g.max, g.current);
  const ms = Number(/slow-(\d+)/.exec(String(body.model))?.[1] ?? 200);
  await new Promise((r) => setTimeout(r, ms));
  g.current--;
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  res.end(JSON.stringify({ id: "chatcmpl-inflight", object: "chat.completion", created: 1700000000, model: body.model, choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }], usage }));
}
