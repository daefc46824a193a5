// How numbers, money and times are written on every page.

/** USD with enough digits to show tiny per-call costs ($0.000012) and plain cents for larger sums. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "$0";
  const abs = Math.abs(value);
  if (abs >= 0.01) return `$${value.toFixed(2)}${abs < 1 ? value.toFixed(4).slice(-2).replace(/0+$/, "") : ""}`;
  return `$${value.toFixed(6).replace(/0+$/, "")}`;
}

export const num = (value: number | null | undefined) => (value === null || value === undefined ? "–" : value.toLocaleString("en-US"));

/** "2025-01-31 14:05:09" in the viewer's time zone. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** YYYY-MM-DD of a Date, UTC (the day the gateway's aggregates use). */
export const utcDay = (d: Date) => d.toISOString().slice(0, 10);

export const daysAgo = (n: number) => utcDay(new Date(Date.now() - n * 86_400_000));

/** Every UTC day from start to end, inclusive. */
export function daysBetween(start: string, end: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`) && out.length < 1000; t += 86_400_000) out.push(utcDay(new Date(t)));
  return out;
}

/** "100 rpm" / "no rpm limit"; without a unit "100" / "no limit". */
export const limit = (value: number | null | undefined, unit = "") =>
  value === null || value === undefined ? (unit ? `no ${unit} limit` : "no limit") : unit ? `${num(value)} ${unit}` : num(value);

/** "1 key", "3 keys". */
export const count = (n: number, noun: string) => `${num(n)} ${noun}${n === 1 ? "" : "s"}`;
