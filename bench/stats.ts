// Small statistics for the report: nearest-rank percentiles and medians.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

const NUMERIC = /^([-+]?[\d.]+(\/[\d.]+)*|n\/a|—)$/;

/** Markdown table, padded so it also reads as plain text; numeric columns right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => NUMERIC.test(String(r[i]))));
  const line = (r: string[]) => "| " + r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (right[i] ? "-".repeat(w + 1) + ":" : ":" + "-".repeat(w + 1))).join("|") + "|";
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

export const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
export const signed = (v: number, digits = 3) => (Number.isFinite(v) ? (v >= 0 ? "+" : "") + v.toFixed(digits) : "n/a");

/**
 * CPU microseconds per call of `fn` in this process: the best of several ~100 ms batches after a
 * warm-up (the machine is shared; the best batch is the one least disturbed by other processes).
 */
export async function cpuPerCall(fn: () => unknown, batches = 7): Promise<number> {
  for (let i = 0; i < 50; i++) await fn();
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    let n = 0;
    while (performance.now() - wallStart < 100) {
      await fn();
      n++;
    }
    const cpu = process.cpuUsage(cpuStart);
    best = Math.min(best, (cpu.user + cpu.system) / n);
  }
  return best;
}
