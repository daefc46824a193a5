// McpSession: one Durable Object per gateway MCP session, so that any isolate can serve the session's
// next request: who opened it, the protocol version it negotiated, and the upstream Streamable HTTP
// sessions opened for it. A session idle for IDLE_MS is deleted by its alarm (the client then gets 404
// and, as the MCP spec says, initializes a new one).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { McpSessionRecord, McpSessionRpc } from "./session-rpc";
import type { UpstreamSession } from "./upstream";

const IDLE_MS = 60 * 60_000;
const KEY = "session";

export class McpSession extends DurableObject<Env> implements McpSessionRpc {
  private record: McpSessionRecord | null | undefined;

  private async load(): Promise<McpSessionRecord | null> {
    if (this.record === undefined) this.record = (await this.ctx.storage.get<McpSessionRecord>(KEY)) ?? null;
    return this.record;
  }

  private async save(record: McpSessionRecord): Promise<void> {
    this.record = record;
    await this.ctx.storage.put(KEY, record);
  }

  async open(record: McpSessionRecord): Promise<void> {
    await this.save(record);
    await this.ctx.storage.setAlarm(record.lastSeenAt + IDLE_MS);
  }

  async touch(): Promise<McpSessionRecord | null> {
    const record = await this.load();
    if (!record) return null;
    const now = Date.now();
    if (now - record.lastSeenAt >= IDLE_MS) {
      await this.forget();
      return null;
    }
    // One write a minute at most: the alarm reads lastSeenAt, so it need not move on every request.
    if (now - record.lastSeenAt > 60_000) await this.save({ ...record, lastSeenAt: now });
    return record;
  }

  async setUpstream(serverId: string, session: UpstreamSession | null): Promise<void> {
    const record = await this.load();
    if (!record) return;
    const upstream = { ...record.upstream };
    if (session) upstream[serverId] = session;
    else delete upstream[serverId];
    await this.save({ ...record, upstream });
  }

  async close(): Promise<McpSessionRecord | null> {
    const record = await this.load();
    await this.forget();
    return record;
  }

  override async alarm(): Promise<void> {
    const record = await this.load();
    if (!record) return;
    const idleUntil = record.lastSeenAt + IDLE_MS;
    if (Date.now() >= idleUntil) await this.forget();
    else await this.ctx.storage.setAlarm(idleUntil);
  }

  private async forget(): Promise<void> {
    this.record = null;
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
  }
}
