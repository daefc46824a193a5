// Prometheus' text exposition format (version 0.0.4), as Python's prometheus_client writes LiteLLM's
// metrics: counters as `<name>_total`, histograms as cumulative `_bucket{le=...}` lines then `_count`
// and `_sum`, `le` values as Python prints floats ("1.0", "+Inf").
import { bucketsOf, FAMILIES, FAMILY_BY_NAME, type Family } from "./families";
import type { Series } from "./series";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NEEDS_ESCAPE = /[\\"\n]/;
const escapeLabel = (v: string) => (NEEDS_ESCAPE.test(v) ? v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n") : v);
const escapeHelp = (v: string) => v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");

/** A sample value as Prometheus reads it. */
function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

/** Each bucket's `le` label as Python's floatToGoString prints the bound, made once per family. */
const leLabels = new WeakMap<Family, string[]>();
function bucketLabels(f: Family): string[] {
  let out = leLabels.get(f);
  if (!out) leLabels.set(f, (out = [...bucketsOf(f).map((b) => `le="${Number.isInteger(b) ? b.toFixed(1) : String(b)}"`), 'le="+Inf"']));
  return out;
}

/** `name="value",...` of a series, made once and reused by its histogram lines. */
function labelPairs(f: Family, values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < f.labels.length; i++) out += `${i ? "," : ""}${f.labels[i]}="${escapeLabel(values[i] ?? "None")}"`;
  return out;
}

function sampleLines(f: Family, labels: readonly string[], values: readonly number[], out: string[]): void {
  const pairs = labelPairs(f, labels);
  const braces = pairs ? `{${pairs}}` : "";
  if (f.type === "counter") {
    out.push(`${f.name}_total${braces} ${num(values[0])}`);
    return;
  }
  if (f.type === "gauge") {
    out.push(`${f.name}${braces} ${num(values[0])}`);
    return;
  }
  const les = bucketLabels(f);
  const sep = pairs ? "," : "";
  let cumulative = 0;
  for (let i = 0; i < les.length; i++) {
    cumulative += values[2 + i] ?? 0;
    out.push(`${f.name}_bucket{${pairs}${sep}${les[i]}} ${num(cumulative)}`);
  }
  out.push(`${f.name}_count${braces} ${num(values[1])}`);
  out.push(`${f.name}_sum${braces} ${num(values[0])}`);
}

/** The exposition of every family that has series, in LiteLLM's order. */
export function renderExposition(series: readonly Series[]): string {
  const byFamily = new Map<string, Series[]>();
  for (const s of series) {
    if (!FAMILY_BY_NAME.has(s[0])) continue;
    let list = byFamily.get(s[0]);
    if (!list) byFamily.set(s[0], (list = []));
    list.push(s);
  }
  const out: string[] = [];
  for (const f of FAMILIES) {
    const list = byFamily.get(f.name);
    if (!list?.length) continue;
    const name = f.type === "counter" ? `${f.name}_total` : f.name;
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
    for (const [, labels, values] of list) sampleLines(f, labels, values, out);
  }
  return out.join("\n") + "\n";
}
