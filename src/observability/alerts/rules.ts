// LiteLLM's alerts, from finished calls: budgets crossed (key, and from refusals team and user) and soft
// budgets crossed, slow calls, failed calls, deployments cooled down, and model groups in outage (every
// deployment cooling). Hanging calls are watched by a timer while the call waits for its answer.
//
// Once per event, not once per isolate: an event that several isolates may see (a key crossing its
// budget, a deployment cooling down) is claimed in the alerts hub (a Durable Object, ../hub.ts) before
// it is sent, and each isolate remembers its claims so it asks at most once per event. A slow or hanging
// call is seen by one isolate only and is sent directly.
import type { AlertType } from "../../schema/observability";
import { Batcher } from "../callbacks/batcher";
import type { HubRpc } from "../hub-rpc";
import type { CallRecord } from "../record";
import type { AlertSettings } from "../settings";
import { slackSink, type Alert, type AlertLevel } from "./slack";

const money = (usd: number | null | undefined) => `$${(usd ?? 0).toFixed(6).replace(/\.?0+$/, "")}`;
/** Claims remembered per isolate (beyond that the hub still answers for them). */
const MAX_REMEMBERED = 10_000;

export class Alerts {
  private readonly batcher: Batcher<Alert>;
  /** Event keys this isolate has claimed or seen claimed, with when to forget them. */
  private readonly claimed = new Map<string, number>();

  constructor(
    readonly settings: AlertSettings,
    private readonly hub: () => HubRpc | undefined,
    flushMs: number,
    onDropped: (sink: string, count: number) => void,
  ) {
    this.batcher = new Batcher(slackSink(settings.webhookUrl), flushMs, onDropped);
  }

  wants(type: AlertType): boolean {
    return this.settings.types.has(type);
  }

  /** Sends an alert (in the next batch). */
  send(type: AlertType, level: AlertLevel, message: string): void {
    if (this.wants(type)) this.batcher.add({ type, level, message, at: Date.now() }, message.length);
  }

  /** Sends it if no isolate has sent it for `key` within `ttlMs`. */
  async sendOnce(key: string, ttlMs: number, type: AlertType, level: AlertLevel, message: string): Promise<void> {
    if (!this.wants(type)) return;
    const now = Date.now();
    const until = this.claimed.get(key);
    if (until !== undefined && until > now) return;
    if (this.claimed.size >= MAX_REMEMBERED) this.claimed.clear();
    this.claimed.set(key, now + ttlMs);
    const hub = this.hub();
    try {
      if (hub && !(await hub.claim(key, ttlMs))) return;
    } catch (err) {
      // Better one duplicate than a lost budget alert.
      console.warn(`[alerts] could not claim ${type} in the hub, sending anyway: ${(err as Error).message}`);
    }
    this.send(type, level, message);
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  /** Every alert a finished call may raise. */
  async onCall(r: CallRecord): Promise<void> {
    const s = this.settings;
    // redact_user_api_key_info: the key's hash prefix, never its alias.
    const who = r.key.alias && !s.redactKeyInfo ? `key_alias=${r.key.alias}` : r.key.hash ? `key=${r.key.hash.slice(0, 12)}…` : "open mode";
    const work: Promise<void>[] = [];
    // Budgets: the key's spend once this call is charged, and refusals for a key's, team's or user's budget.
    const k = r.key;
    if (k.hash && k.spendAfter !== undefined) {
      if (k.maxBudget != null && k.spendAfter >= k.maxBudget) {
        work.push(this.sendOnce(`budget:key:${k.hash}`, s.budgetTtlMs, "budget_alerts", "High", `Budget Crossed\nKey: ${who}\nSpend: ${money(k.spendAfter)}\nMax budget: ${money(k.maxBudget)}`));
      }
      if (k.softBudget != null && k.spendAfter >= k.softBudget) {
        work.push(this.sendOnce(`soft_budget:key:${k.hash}`, s.budgetTtlMs, "budget_alerts", "Medium", `Soft Budget Crossed\nKey: ${who}\nSpend: ${money(k.spendAfter)}\nSoft budget: ${money(k.softBudget)}`));
      }
    }
    if (r.error?.kind === "budget") {
      const scope = /Budget has been exceeded! (?:(Team|User)=(\S+) )?/.exec(r.error.message);
      const entity = scope?.[1] ? `${scope[1].toLowerCase()}:${scope[2]}` : `key:${k.hash ?? "none"}`;
      const name = scope?.[1] ? `${scope[1]}: ${scope[2]}` : `Key: ${who}`;
      work.push(this.sendOnce(`budget:${entity}`, s.budgetTtlMs, "budget_alerts", "High", `Budget Crossed\n${name}\n${r.error.message}`));
    }
    const tookMs = r.endedAt - r.startedAt;
    if (r.status === "success" && tookMs > s.thresholdMs) {
      this.send("llm_too_slow", "Low", `Slow LLM call: ${(tookMs / 1000).toFixed(1)} s (alerting_threshold ${s.thresholdMs / 1000} s)\nModel group: ${r.answeredGroup}\nDeployment: ${r.deployment?.id ?? "none"} (${r.deployment?.provider ?? "?"}/${r.deployment?.model ?? "?"})\nCall: ${r.id}`);
    }
    for (const a of r.attempts) {
      if (a.cooledDownS === undefined || !a.error) continue;
      const d = a.deployment;
      work.push(this.sendOnce(`cooldown:${d.id}`, Math.max(5_000, a.cooledDownS * 1000), "cooldown_deployment", "Low", `Deployment cooled down for ${a.cooledDownS} s\nModel group: ${a.group}\nDeployment: ${d.id} (${d.provider}/${d.model})\nReason: ${a.error.status} ${a.error.message.slice(0, 300)}`));
    }
    if (r.error && r.status === "failure" && !r.aborted) {
      if (r.error.status === 429 && r.error.message.startsWith("No deployments available")) {
        work.push(this.sendOnce(`outage:${r.group}`, s.outageTtlMs, "outage_alerts", "High", `Model group outage: every deployment of ${r.group} is cooling down\n${r.error.message.slice(0, 500)}`));
      } else if (r.deployment && (r.error.status >= 500 || r.error.status === 408 || r.error.status === 429)) {
        work.push(this.sendOnce(`exception:${r.deployment.id}:${r.error.status}`, s.outageTtlMs, "llm_exceptions", "Medium", `LLM API call failed: ${r.error.class} (${r.error.status})\nModel group: ${r.group}\nDeployment: ${r.deployment.id} (${r.deployment.provider}/${r.deployment.model})\nError: ${r.error.message.slice(0, 500)}`));
      }
    }
    await Promise.all(work);
  }

  /** A call still without an answer after alerting_threshold. */
  hanging(group: string, callId: string, startedAt: number): void {
    this.send("llm_requests_hanging", "Medium", `Requests are hanging: no answer after ${((Date.now() - startedAt) / 1000).toFixed(0)} s (alerting_threshold ${this.settings.thresholdMs / 1000} s)\nModel group: ${group}\nCall: ${callId}`);
  }
}
