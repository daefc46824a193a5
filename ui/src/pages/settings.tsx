// The running config (config.yaml as the gateway compiled it), secrets masked; cache, guardrails and
// callbacks get their own sections when the config switches them on.
import type { ComponentChildren } from "preact";
import { useApi, type Session } from "../api";
import { Json, Loading, Notice, PageHeader } from "../components";

type Config = Record<string, unknown> & {
  model_list?: unknown[];
  general_settings?: Record<string, unknown>;
  router_settings?: Record<string, unknown>;
  litellm_settings?: Record<string, unknown>;
  guardrails?: unknown;
};

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function Section(props: { title: string; values?: Record<string, unknown>; children?: ComponentChildren; testId?: string }) {
  const entries = Object.entries(props.values ?? {});
  return (
    <section class="card" data-testid={props.testId}>
      <h3>{props.title}</h3>
      {props.children}
      {props.values &&
        (entries.length === 0 ? (
          <p class="muted">Nothing set: defaults apply.</p>
        ) : (
          <table class="kv">
            <tbody>
              {entries.map(([k, v]) => (
                <tr>
                  <th>{k}</th>
                  <td>
                    <code>{show(v)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}

const pick = (from: Record<string, unknown> | undefined, names: string[]) => Object.fromEntries(names.filter((n) => from?.[n] !== undefined).map((n) => [n, from![n]]));

export function Settings(_props: { session: Session }) {
  const { data, error } = useApi<{ config: Config }>("/ui/api/config");
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const c = data.config;
  const ls = c.litellm_settings ?? {};
  const cache = pick(ls, ["cache", "cache_params"]);
  const callbacks = pick(ls, ["success_callback", "failure_callback", "callbacks", "service_callback", "turn_off_message_logging"]);
  const alerting = pick(c.general_settings, ["alerting", "alerting_threshold", "alert_types"]);
  return (
    <>
      <PageHeader title="Settings" />
      <Notice kind="info">The running config, read-only: change config.yaml and redeploy (npm start rebuilds it). Secrets are masked; os.environ/NAME references show the name.</Notice>
      <div class="grid2">
        <Section title="General settings" values={c.general_settings} testId="general-settings" />
        <Section title="Router settings" values={c.router_settings} />
        <Section title="LiteLLM settings" values={ls} />
        <Section title="Models">
          <p>
            {c.model_list?.length ?? 0} entries in model_list: see <a href="#/models">Models</a>.
          </p>
        </Section>
        {Object.keys(cache).length > 0 && <Section title="Cache" values={cache} testId="cache-settings" />}
        {c.guardrails !== undefined && (
          <Section title="Guardrails" testId="guardrails-settings">
            <Json value={c.guardrails} />
          </Section>
        )}
        {Object.keys(callbacks).length > 0 && <Section title="Callbacks" values={callbacks} testId="callback-settings" />}
        {Object.keys(alerting).length > 0 && <Section title="Alerting" values={alerting} />}
      </div>
      <details class="card">
        <summary>Whole config (JSON)</summary>
        <Json value={c} />
      </details>
    </>
  );
}
