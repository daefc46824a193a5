// Helpers for the observability tests: a priced deployment on the mock upstream, Prometheus text parsed
// into samples, waiting for background work, and the requests the mock logging services received.
import { MOCK_URL, openaiModel } from "./helpers";

/** Exact binary fractions, so sums of costs are exact. The mock upstream reports 11 prompt + 5 completion tokens. */
export const INPUT_PRICE = 2 ** -20;
export const OUTPUT_PRICE = 2 ** -18;
export const CALL_COST = 11 * INPUT_PRICE + 5 * OUTPUT_PRICE;

export const pricedModel = (name: string, upstream = name, extra: Record<string, unknown> = {}) => openaiModel(name, upstream, { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE, ...extra });

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, samples only (HELP/TYPE lines checked by the tests that care). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    out.push({ name: m[1], labels, value: m[3] === "+Inf" ? Infinity : Number(m[3]) });
  }
  return out;
}

/** The sum of a metric's samples whose labels include `where`. */
export function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/** Retries `check` until it stops throwing (background work settling), up to `ms`. */
export async function eventually<T>(check: () => Promise<T> | T, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface Received {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** Requests the mock logging services received under /observability/<prefix>. */
export async function received(prefix: string): Promise<Received[]> {
  const all = (await (await fetch(`${MOCK_URL}/__requests`)).json()) as Received[];
  return all.filter((r) => r.path.startsWith(`/observability/${prefix}`));
}

export const observabilityUrl = (path: string) => `${MOCK_URL}/observability/${path}`;
