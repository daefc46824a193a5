// LiteLLM's durations ("30s", "30m", "30h", "30d", "1w", "1mo") and its budget reset times, which are
// aligned to calendar boundaries in UTC: 1d -> next midnight, 7d/1w -> next Monday, 30d/1mo -> the 1st
// of next month, Nh/Nm/Ns -> the next multiple of N on the clock (as litellm_core_utils/duration_parser).
import { z } from "zod";

const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const DAY = UNIT_MS.d;

/** Longest duration accepted: 100 years (longer ones would put expiry and reset dates past what a Date can hold). */
const MAX_DURATION_MS = 36_500 * DAY;

export const durationSchema = z
  .string()
  .trim()
  .regex(DURATION, "expected a duration like 30s, 30m, 30h, 30d, 1w or 1mo")
  .refine((d) => !d.endsWith("mo") || d === "1mo", "monthly durations support 1mo only")
  .refine((d) => withinMax(d), "durations are at most 100 years (36500d)");

/** zod runs every check, so this sees strings the regex refused too. */
function withinMax(duration: string): boolean {
  const m = DURATION.exec(duration);
  return !m || m[2] === "mo" || Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] <= MAX_DURATION_MS;
}

function parse(duration: string): { value: number; unit: keyof typeof UNIT_MS | "mo" } {
  const m = DURATION.exec(duration.trim());
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

const startOfDay = (t: number) => t - (((t % DAY) + DAY) % DAY);

function firstOfNextMonth(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The next budget reset after `now` for a budget_duration, aligned as LiteLLM aligns it (UTC). */
export function nextBudgetReset(duration: string, now: number): number {
  const { value, unit } = parse(duration);
  if (value === 0) return now;
  const midnight = startOfDay(now);
  const sinceMidnight = now - midnight;
  switch (unit) {
    case "mo":
      return firstOfNextMonth(now);
    case "w":
    case "d": {
      const days = unit === "w" ? value * 7 : value;
      if (days === 1) return midnight + DAY;
      if (days === 7) {
        const weekday = (new Date(now).getUTCDay() + 6) % 7; // Monday = 0
        return midnight + (7 - weekday) * DAY;
      }
      if (days === 30) return firstOfNextMonth(now);
      return midnight + days * DAY;
    }
    case "h": {
      const hour = Math.floor(sinceMidnight / UNIT_MS.h);
      const next = hour + value - (hour % value);
      // Past midnight, LiteLLM restarts from the next day's midnight at hour `next % 24`.
      return next >= 24 ? midnight + DAY + (next % 24) * UNIT_MS.h : midnight + next * UNIT_MS.h;
    }
    case "m":
    case "s": {
      // Minutes align within the hour, seconds within the minute; both carry over.
      const size = UNIT_MS[unit];
      const outer = unit === "m" ? UNIT_MS.h : UNIT_MS.m;
      const outerStart = now - (now % outer);
      const within = Math.floor((now - outerStart) / size);
      return outerStart + (within + value - (within % value)) * size;
    }
  }
}
