// LiteLLM's durations ("30s", "30m", "30h", "30d", "1w", "1mo", and the guides' "daily", "weekly",
// "monthly") and its budget reset times, aligned to calendar boundaries in a time zone (LiteLLM's
// litellm_settings.timezone, UTC by default): 1d -> next midnight, 7d/1w -> next Monday, 30d/1mo -> the
// 1st of next month, Nh/Nm/Ns -> the next multiple of N on the clock (as litellm_core_utils/duration_parser).
import { z } from "zod";

const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const DAY = UNIT_MS.d;

/** Longest duration accepted: 100 years (longer ones would put expiry and reset dates past what a Date can hold). */
const MAX_DURATION_MS = 36_500 * DAY;

/** The words LiteLLM users' guides write, as the durations they mean. */
const WORDS: Record<string, string> = { daily: "1d", weekly: "1w", monthly: "1mo" };

/** A duration in LiteLLM's form; the guides' words become it ("monthly" -> "1mo"), so every version reads what is stored. */
export const durationSchema = z
  .string()
  .trim()
  .transform((d) => WORDS[d.toLowerCase()] ?? d)
  .pipe(
    z
      .string()
      .regex(DURATION, "expected a duration like 30s, 30m, 30h, 30d, 1w, 1mo, daily, weekly or monthly")
      .refine((d) => !d.endsWith("mo") || d === "1mo", "monthly durations support 1mo only")
      .refine((d) => withinMax(d), "durations are at most 100 years (36500d)"),
  );

/** zod runs every check, so this sees strings the regex refused too. */
function withinMax(duration: string): boolean {
  const m = DURATION.exec(duration);
  return !m || m[2] === "mo" || Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] <= MAX_DURATION_MS;
}

/** An IANA time zone name this runtime knows ("Europe/Paris", "US/Eastern", "UTC"). */
export const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "expected an IANA time zone name, e.g. UTC, Europe/Paris, America/New_York");

function parse(duration: string): { value: number; unit: keyof typeof UNIT_MS | "mo" } {
  const m = DURATION.exec(WORDS[duration.trim().toLowerCase()] ?? duration.trim());
  if (!m) throw new Error(`invalid duration '${duration}'`);
  return { value: Number(m[1]), unit: m[2] as keyof typeof UNIT_MS | "mo" };
}

/** Calendar months later, keeping the day of month where it exists (LiteLLM's duration_in_seconds). */
function addMonths(now: number, months: number): number {
  const d = new Date(now);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

/** When a key generated now with `duration` expires (not aligned, as LiteLLM's key `duration`). */
export function expiryAfter(duration: string, now: number): number {
  const { value, unit } = parse(duration);
  return unit === "mo" ? addMonths(now, value) : now + value * UNIT_MS[unit];
}

/** Length of a duration in ms (months counted from `now`). */
export function durationMs(duration: string, now: number): number {
  return expiryAfter(duration, now) - now;
}

// ---- wall clocks in a time zone ----

/** A wall-clock time: fields may overflow (day 32, minute 63); Date.UTC normalises them. */
interface Wall {
  year: number;
  month: number; // 0-based
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Monday = 0. */
  weekday: number;
}

const isUtc = (tz: string) => tz === "UTC" || tz === "Etc/UTC";
const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function wallClock(t: number, tz: string): Wall {
  if (isUtc(tz)) {
    const d = new Date(t);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: (d.getUTCDay() + 6) % 7 };
  }
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", weekday: "short" });
    formatters.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(t)) p[part.type] = part.value;
  return { year: Number(p.year), month: Number(p.month) - 1, day: Number(p.day), hour: Number(p.hour) % 24, minute: Number(p.minute), second: Number(p.second), weekday: WEEKDAYS.indexOf(p.weekday) };
}

const wallAsUtc = (w: Omit<Wall, "weekday">) => Date.UTC(w.year, w.month, w.day, w.hour, w.minute, w.second);

/** The instant a wall-clock time in `tz` names (twice corrected, so a change of offset in between is followed). */
function instantOf(w: Omit<Wall, "weekday">, tz: string): number {
  const target = wallAsUtc(w);
  if (isUtc(tz)) return target;
  let t = target;
  for (let i = 0; i < 2; i++) t = target - (wallAsUtc(wallClock(t, tz)) - Math.floor(t / 1000) * 1000);
  return t;
}

/** The next budget reset after `now` for a budget_duration, aligned as LiteLLM aligns it in `tz`. */
export function nextBudgetReset(duration: string, now: number, tz = "UTC"): number {
  const { value, unit } = parse(duration);
  if (value === 0) return now;
  const w = wallClock(now, tz);
  const at = (day: number, hour = 0, minute = 0, second = 0) => instantOf({ year: w.year, month: w.month, day, hour, minute, second }, tz);
  switch (unit) {
    case "mo":
      return instantOf({ year: w.year, month: w.month + 1, day: 1, hour: 0, minute: 0, second: 0 }, tz);
    case "w":
    case "d": {
      const days = unit === "w" ? value * 7 : value;
      if (days === 1) return at(w.day + 1);
      if (days === 7) return at(w.day + 7 - w.weekday); // next Monday
      if (days === 30) return instantOf({ year: w.year, month: w.month + 1, day: 1, hour: 0, minute: 0, second: 0 }, tz);
      return at(w.day + days);
    }
    case "h": {
      const next = w.hour + value - (w.hour % value);
      // Past midnight, LiteLLM restarts from the next day's midnight at hour `next % 24`.
      return next >= 24 ? at(w.day + 1, next % 24) : at(w.day, next);
    }
    case "m": {
      // Minutes align within the hour, seconds within the minute; both carry over.
      const next = w.minute + value - (w.minute % value);
      const hour = w.hour + Math.floor(next / 60);
      return hour >= 24 ? at(w.day + 1, hour % 24, next % 60) : at(w.day, hour, next % 60);
    }
    case "s": {
      const next = w.second + value - (w.second % value);
      let minute = w.minute + Math.floor(next / 60);
      const hour = w.hour + Math.floor(minute / 60);
      minute %= 60;
      return hour >= 24 ? at(w.day + 1, hour % 24, minute, next % 60) : at(w.day, hour, minute, next % 60);
    }
  }
}
