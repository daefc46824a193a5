// A guardrail made of detectors, and the streamed-answer scanner they share.
//
// Streaming: text arrives in deltas; a word or card number may be split across two of them. The
// scanner keeps the not-yet-sent text and, once it holds 2W characters, scans it (plus 64 characters
// already sent, for word boundaries) and sends all but the last W. W is the longest window of its
// detectors: the longest blocked word or phrase + 8, 11 for an SSN, 23 for a card number, 42 for an
// IBAN, 80 for an email, 64 for a custom regex, 120 for prompt injection. So the client sees text at
// most 2W characters behind the upstream (scanning every W characters rather than every delta keeps
// the cost per delta near zero). A finding that touches the end of the kept text is not settled (the
// next delta may extend or cancel it: "secret" + "ary"), so the scanner also holds from its start.
// At the end of the answer everything left is checked and sent.
import { GuardrailViolation } from "../errors";
import type { SpecOf, SpecKind } from "../spec";
import type { CallState, Guardrail, TextScanner } from "../types";
import { applyFindings, checkTexts, resolveFindings, windowOf, type Detector, type Finding } from "./detector";

const CONTEXT = 64;

export function windowedScanner(guardrail: string, detectors: readonly Detector[], state: CallState): TextScanner {
  const window = windowOf(detectors);
  let held = "";
  let context = "";
  const release = (final: boolean): string => {
    if (!held) return "";
    const text = context + held;
    const offset = context.length;
    const found: Finding[] = [];
    for (const d of detectors) d.scan(text, state, found);
    const settled = (f: Finding) => final || f.end < text.length;
    let cut = final ? text.length : Math.max(offset, text.length - window);
    const fresh = found.filter((f) => f.end > offset);
    const blocking = fresh.find((f) => f.block && settled(f));
    if (blocking) throw new GuardrailViolation(guardrail, blocking.label);
    const live = resolveFindings(fresh);
    for (const f of live) if (!settled(f)) cut = Math.min(cut, Math.max(offset, f.start));
    // A settled mask that straddles the cut is applied whole.
    for (const f of live) if (settled(f) && f.start < cut && f.end > cut) cut = f.end;
    const apply = live.filter((f) => settled(f) && f.end <= cut).map((f) => ({ ...f, start: Math.max(f.start, offset) - offset, end: f.end - offset }));
    const sent = held.slice(0, cut - offset);
    held = held.slice(cut - offset);
    context = (context + sent).slice(-CONTEXT);
    return applyFindings(sent, apply);
  };
  if (window === 0) return { push: (d) => d, end: () => "" };
  return {
    push(delta) {
      held += delta;
      return held.length < 2 * window ? "" : release(false);
    },
    end: () => release(true),
  };
}

/** The Guardrail of a local spec: `request` detectors check requests, `response` detectors answers. */
export function localGuardrail(
  spec: SpecOf<SpecKind>,
  request: readonly Detector[],
  response: readonly Detector[],
  extra: Partial<Pick<Guardrail, "unmasksAnswer">> = {},
): Guardrail {
  return {
    name: spec.name,
    type: spec.type,
    modes: new Set(spec.modes),
    defaultOn: spec.defaultOn,
    local: true,
    checkRequest: (input) => checkTexts(request, input.texts, input.state),
    checkResponse: (input) => checkTexts(response, input.texts, input.state),
    scanStream: ({ state }) => windowedScanner(spec.name, response, state),
    ...extra,
  };
}
