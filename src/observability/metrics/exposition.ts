// Prometheus' text exposition format (version 0.0.4), as Python's prometheus_client writes LiteLLM's
// metrics: counters as `<name>_total`, histograms as cumulative `_bucket{le=...}` lines then `_count`
// and `_sum`, `le` values as Python prints floats ("1.0", "+Inf").
import { bucketsOf, FAMILIES, FAMILY_BY_NAME, type Family } from "./families";
import type { Series } from "./series";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeLabel = (v: string) => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
const escapeHelp = (v: string) => v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");

/** A sample value as Prometheus reads it. */
function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

/** A bucket bound as Python's floatToGoString prints it. */
const le = (b: number) => (Number.isInteger(b) ? b.toFixed(1) : String(b));

function labelText(f: Family, values: readonly string[], extra?: string): string {
  const parts = f.labels.map((name, i) => `${name}="${escapeLabel(values[i] ?? "None")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function sampleLines(f: Family, labels: readonly string[], values: readonly number[], out: string[]): void {
  if (f.type === "counter") {
    out.push(`${f.name}_total${labelText(f, labels)} ${num(values[0])}`);
    return;
  }
  if (f.type === "gauge") {
    out.push(`${f.name}${labelText(f, labels)} ${num(values[0])}`);
    return;
  }
  const buckets = bucketsOf(f);
  let cumulative = 0;
  for (let i = 0; i <= buckets.length; i++) {
    cumulative += values[2 + i] ?? 0;
    out.push(`${f.name}_bucket${labelText(f, labels, `le="${i < buckets.length ? le(buckets[i]) : "+Inf"}"`)} ${num(cumulative)}`);
  }
  out.push(`${f.name}_count${labelText(f, labels)} ${num(values[1])}`);
  out.push(`${f.name}_sum${labelText(f, labels)} ${num(values[0])}`);
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
