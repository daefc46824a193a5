// A mock of OpenAI's Realtime API WebSocket (GET /v1/realtime?model=..., `Authorization: Bearer`),
// speaking its events: `session.created` on connect; on `response.create`, `response.created`, a text
// delta and `response.done` with usage; `conversation.item.create` is acknowledged with
// `conversation.item.created`. Binary frames are echoed back. A `{"type":"test.close"}` event makes the
// upstream close the socket (close propagation). It records what it saw.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export const RESPONSE_USAGE = {
  total_tokens: 150,
  input_tokens: 100,
  output_tokens: 50,
  input_token_details: { text_tokens: 100, audio_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0 } },
  output_token_details: { text_tokens: 50, audio_tokens: 0 },
};

export interface MockRealtime {
  /** http://127.0.0.1:port/v1 (an api_base). */
  base: string;
  connections: { model: string | null; authorization?: string; beta?: string }[];
  /** Client events received, by type. */
  received: string[];
  /** Close codes of sockets the client side closed. */
  closedByClient: number[];
  close(): Promise<void>;
}

export async function startMockRealtime(apiKey: string): Promise<MockRealtime> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  const state: Omit<MockRealtime, "base" | "close"> = { connections: [], received: [], closedByClient: [] };
  http.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url!, "http://127.0.0.1");
    if (url.pathname !== "/v1/realtime" || req.headers.authorization !== `Bearer ${apiKey}`) {
      socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n" + JSON.stringify({ error: { message: "Incorrect API key provided", type: "invalid_request_error" } }));
      return;
    }
    state.connections.push({ model: url.searchParams.get("model"), authorization: req.headers.authorization, beta: req.headers["openai-beta"] as string | undefined });
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, url.searchParams.get("model") ?? ""));
  });
  let n = 0;
  const serve = (ws: WebSocket, model: string) => {
    const send = (e: object) => ws.send(JSON.stringify({ event_id: `event_${++n}`, ...e }));
    send({ type: "session.created", session: { id: `sess_${n}`, object: "realtime.session", model } });
    let closing = false;
    ws.on("close", (code) => {
      if (!closing) state.closedByClient.push(code);
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return ws.send(data, { binary: true });
      const event = JSON.parse(String(data)) as { type: string; item?: unknown };
      state.received.push(event.type);
      if (event.type === "test.close") {
        closing = true;
        return ws.close(1000, "upstream done");
      }
      if (event.type === "conversation.item.create") return send({ type: "conversation.item.created", item: event.item });
      if (event.type === "response.create") {
        const id = `resp_${++n}`;
        send({ type: "response.created", response: { id, object: "realtime.response", status: "in_progress", output: [] } });
        send({ type: "response.text.delta", response_id: id, item_id: "item_1", output_index: 0, content_index: 0, delta: "Hello" });
        send({ type: "response.done", response: { id, object: "realtime.response", status: "completed", output: [], usage: RESPONSE_USAGE } });
      }
    });
  };
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`,
    ...state,
    async close() {
      for (const c of wss.clients) c.terminate();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
