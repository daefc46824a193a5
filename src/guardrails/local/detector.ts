// What the local guardrails share: a Detector finds spans in a text (pure, synchronous, regexes
// compiled once per isolate); a guardrail turns its detectors' findings into a verdict, for whole
// texts here and for streamed text in ../stream.ts (same findings, a held-back window).
import type { CallState, CheckResult } from "../types";
import type { PatternDef } from "./patterns";

export interface Finding {
  start: number;
  end: number;
  /** Block the call (true) or replace the span with `replacement`. */
  block: boolean;
  replacement: string;
  /** Safe description for the error: "us_ssn pattern detected". Never the matched text. */
  label: string;
}

export interface Detector {
  /** Appends what it finds in `text` to `out` (overlaps allowed; resolved by the caller). */
  scan(text: string, state: CallState, out: Finding[]): void;
  /** Characters a stream must hold back to see an occurrence whole (see ../stream.ts). */
  readonly window: number;
}

/** A compiled regex (or hand-made finder) with its checksum, turned into findings by `onMatch`. */
export function regexDetector(def: PatternDef, onMatch: (match: string, state: CallState) => Omit<Finding, "start" | "end"> | undefined): Detector {
  const find = def.find;
  if (find) {
    return {
      window: def.window,
      scan(text, state, out) {
        find(text, (start, end) => {
          const match = text.slice(start, end);
          if (def.validate && !def.validate(match)) return;
          const f = onMatch(match, state);
          if (f) out.push({ start, end, ...f });
        });
      },
    };
  }
  const re = new RegExp(def.source!, `g${def.flags ?? ""}`);
  return {
    window: def.window,
    scan(text, state, out) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        if (def.validate && !def.validate(m[0])) continue;
        const f = onMatch(m[0], state);
        if (f) out.push({ start: m.index, end: m.index + m[0].length, ...f });
      }
    },
  };
}

/** Orders findings and drops overlaps: earliest start wins, then the longest, blocks before masks. */
export function resolveFindings(findings: Finding[]): Finding[] {
  if (findings.length < 2) return findings;
  findings.sort((a, b) => a.start - b.start || b.end - a.end || Number(b.block) - Number(a.block));
  const out: Finding[] = [];
  let reach = -1;
  for (const f of findings) {
    if (f.start < reach) continue;
    out.push(f);
    reach = f.end;
  }
  return out;
}

/** Replaces each (resolved, non-blocking) finding with its replacement. */
export function applyFindings(text: string, findings: readonly Finding[]): string {
  if (!findings.length) return text;
  let out = "";
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + f.replacement;
    at = f.end;
  }
  return out + text.slice(at);
}

/** Runs detectors over whole texts: the first blocking finding blocks, masks are applied. */
export function checkTexts(detectors: readonly Detector[], texts: readonly string[], state: CallState): CheckResult {
  let changed: string[] | undefined;
  for (let i = 0; i < texts.length; i++) {
    const found: Finding[] = [];
    for (const d of detectors) d.scan(texts[i], state, found);
    if (!found.length) continue;
    const resolved = resolveFindings(found);
    const blocking = resolved.find((f) => f.block) ?? found.find((f) => f.block);
    if (blocking) return { action: "block", reason: blocking.label };
    changed ??= [...texts];
    changed[i] = applyFindings(texts[i], resolved);
  }
  return changed ? { action: "modify", texts: changed } : { action: "pass" };
}

/** Longest window of a set of detectors: what a stream holds back. */
export const windowOf = (detectors: readonly Detector[]) => detectors.reduce((w, d) => Math.max(w, d.window), 0);
