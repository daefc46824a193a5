// Slack's incoming webhooks (SLACK_WEBHOOK_URL): one message per alert, worded as LiteLLM's alerts are
// (level, timestamp, message, alert type), sent in batches through the same Batcher as the callbacks.
import type { AlertType } from "../../schema/observability";
import { expectOk, type Sink } from "../callbacks/batcher";

export type AlertLevel = "Low" | "Medium" | "High";

export interface Alert {
  type: AlertType;
  level: AlertLevel;
  message: string;
  at: number;
  /** Delivered already (a retried batch skips it). */
  sent?: boolean;
}

export function alertText(a: Alert): string {
  const time = new Date(a.at).toISOString().slice(11, 19);
  return `Level: \`${a.level}\`\nTimestamp: \`${time}\`\n\nMessage: ${a.message}\n\nAlert type: \`${a.type}\``;
}

export function slackSink(webhookUrl: string): Sink<Alert> {
  return {
    name: "slack",
    maxItems: 15, // one request per alert (see generic-api.ts's `single`)
    async send(items, signal) {
      // One message per alert (a channel reads better than a digest); the batch fails if any did, and its
      // retry sends only those.
      let failure: unknown;
      for (const a of items) {
        if (a.sent) continue;
        try {
          const res = await fetch(webhookUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: alertText(a) }), signal });
          await expectOk(res, "Slack");
          a.sent = true;
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure) throw failure;
    },
  };
}
