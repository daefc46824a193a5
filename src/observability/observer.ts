// Observability for one isolate: what the config turns on (./settings.ts), and what each finished call
// feeds: the call's log line, its metric changes (to the hub, ./metrics/shipper.ts), its payload to each
// callback (./callbacks/), and its alerts (./alerts/). All of it runs after the answer, in the
// background; none of it can fail the call (every error ends in a log line).
import type { ParsedConfig } from "../schema/config";
import type { Env } from "../env";
import { Alerts } from "./alerts/rules";
import { Batcher } from "./callbacks/batcher";
import { standardLoggingPayload, type StandardLoggingPayload } from "./callbacks/payload";
import { hubFor } from "./hub-rpc";
import { callLogLine } from "./log-line";
import { F } from "./metrics/families";
import { countCall } from "./metrics/from-call";
import { MetricsShipper } from "./metrics/shipper";
import type { CallRecord } from "./record";
import { resolveSettings, type ObservabilitySettings } from "./settings";
import { TeamAliases } from "./team-aliases";

interface Route {
  batcher: Batcher<StandardLoggingPayload>;
  success: boolean;
  failure: boolean;
}

export class Observer {
  readonly settings: ObservabilitySettings;
  readonly metrics?: MetricsShipper;
  readonly alerts?: Alerts;
  readonly teamAliases: TeamAliases;
  private readonly routes: Route[];
  /** Anything to do for a call at all. */
  readonly active: boolean;
  /** A callback logs answers: the observe step keeps a copy of each. */
  readonly wantsAnswer: boolean;

  constructor(config: ParsedConfig, env: Env, resolve: (value: string) => string | undefined) {
    const s = (this.settings = resolveSettings(config, env, resolve));
    const dropped = (sink: string, count: number) => this.dropped(sink, count);
    if (s.prometheus && !env.OBSERVABILITY) console.warn(`[metrics] "prometheus" is among the callbacks but wrangler.toml has no OBSERVABILITY binding (class ObservabilityHub): no metrics`);
    else if (s.prometheus) this.metrics = new MetricsShipper(() => hubFor(env, "metrics"), s.flushMs);
    if (s.alerts) this.alerts = new Alerts(s.alerts, () => hubFor(env, "alerts"), s.flushMs, dropped);
    this.routes = s.callbacks.map((c) => ({ batcher: new Batcher(c.sink, s.flushMs, dropped), success: c.success, failure: c.failure }));
    this.teamAliases = new TeamAliases(env.DB);
    this.active = s.prometheus || s.callLogs || !!s.alerts || this.routes.length > 0;
    this.wantsAnswer = s.payload.messages && this.routes.length > 0;
  }

  /** Needs the team's alias for this call (a label or a payload field shows it). */
  get wantsTeamAlias(): boolean {
    return this.settings.prometheus || this.routes.length > 0;
  }

  /** A finished call. Never throws. */
  async record(r: CallRecord): Promise<void> {
    const s = this.settings;
    try {
      if (s.callLogs) console.log(callLogLine(r, s.payload.redactKeyInfo));
      if (this.metrics) {
        countCall(this.metrics.deltas, r, s.endUserLabel);
        this.metrics.changed();
      }
      const routes = this.routes.filter((route) => (r.status === "success" ? route.success : route.failure));
      const alerting = this.alerts?.onCall(r);
      if (routes.length && r.request) {
        const payload = await standardLoggingPayload(r, s.payload);
        const size = JSON.stringify(payload).length;
        for (const route of routes) route.batcher.add(payload, size);
      }
      await alerting;
    } catch (err) {
      console.error(`[observability] call ${r.id}: ${(err as Error).message}`);
    }
  }

  /** Sends every callback's buffered logs now (tests; a flush otherwise runs on its own). */
  async flush(): Promise<void> {
    await Promise.all([...this.routes.map((r) => r.batcher.flush()), this.alerts?.flush(), this.metrics?.deliver()]);
  }

  /** A callback batch given up on: LiteLLM's litellm_callback_logging_failures_metric. */
  private dropped(sink: string, count: number): void {
    if (!this.metrics) return;
    this.metrics.deltas.counter(F.callbackFailures, [sink], count);
    this.metrics.changed();
  }
}
