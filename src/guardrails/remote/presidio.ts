// Microsoft Presidio, as LiteLLM calls it: POST {analyzer}/analyze {text, language, entities?} for
// each text, then POST {anonymizer}/anonymize {text, analyzer_results} for the masked text. Entities
// configured BLOCK fail the call; with output_parse_pii the masks are numbered placeholders kept for
// the call (<PERSON_1>) and the answer gets the originals back, without another round trip.
import { guardrailUnavailable } from "../errors";
import type { SpecOf } from "../spec";
import type { CheckInput, CheckResult, Guardrail } from "../types";
import { checkTexts } from "../local/detector";
import { windowedScanner } from "../local/local-guardrail";
import { placeholderFor, unmaskDetector } from "../local/pii-mask";
import { postJson, remoteGuardrail, required, type Resolve } from "./remote-guardrail";

interface AnalyzerResult {
  entity_type: string;
  start: number;
  end: number;
  score?: number;
}

export function presidioGuardrail(spec: SpecOf<"presidio">, resolve: Resolve): Guardrail {
  const analyzer = resolve(spec.analyzer)?.replace(/\/+$/, "");
  const anonymizer = resolve(spec.anonymizer)?.replace(/\/+$/, "");
  const deny = new Set(spec.denyList);
  const entities = Object.keys(spec.entities);
  const post = <T>(url: string, body: unknown, input: CheckInput, service: string) =>
    postJson<T>({ guardrail: spec.name, service, url, body, timeoutSeconds: spec.timeout, signal: input.signal });

  const keep = (r: AnalyzerResult) => {
    if (deny.has(r.entity_type)) return false;
    const min = spec.thresholds[r.entity_type] ?? spec.thresholds.ALL;
    return min === undefined || (r.score ?? 0) >= min;
  };

  async function maskOne(text: string, input: CheckInput): Promise<string | { blocked: string }> {
    if (!text.trim()) return text;
    const base = required(spec.name, analyzer, spec.analyzer);
    const body = { text, language: spec.language, ...(entities.length ? { entities } : {}), ...input.extraBody };
    const found = await post<AnalyzerResult[]>(`${base}/analyze`, body, input, "Presidio analyzer");
    if (!Array.isArray(found)) throw guardrailUnavailable(spec.name, "Presidio analyzer answered an unexpected shape");
    const results = found.filter(keep);
    const blocked = results.find((r) => spec.entities[r.entity_type] === "BLOCK");
    if (blocked) return { blocked: `${blocked.entity_type} detected` };
    if (!results.length) return text;
    if (spec.outputParsePii) {
      // Numbered placeholders from the analyzer's spans on the original text, right to left.
      let out = text;
      const sorted = [...results].sort((a, b) => a.start - b.start).filter((r, i, a) => i === 0 || r.start >= a[i - 1].end);
      const tokens = sorted.map((r) => placeholderFor(input.state, r.entity_type, text.slice(r.start, r.end)));
      for (let i = sorted.length - 1; i >= 0; i--) out = out.slice(0, sorted[i].start) + tokens[i] + out.slice(sorted[i].end);
      return out;
    }
    const anonymized = await post<{ text?: unknown }>(`${required(spec.name, anonymizer, spec.anonymizer)}/anonymize`, { text, analyzer_results: results }, input, "Presidio anonymizer");
    if (typeof anonymized.text !== "string") throw guardrailUnavailable(spec.name, "Presidio anonymizer answered an unexpected shape");
    return anonymized.text;
  }

  async function mask(input: CheckInput): Promise<CheckResult> {
    const out = await Promise.all(input.texts.map((t) => maskOne(t, input)));
    const blocked = out.find((o) => typeof o !== "string");
    if (blocked) return { action: "block", reason: (blocked as { blocked: string }).blocked };
    const texts = out as string[];
    return texts.some((t, i) => t !== input.texts[i]) ? { action: "modify", texts } : { action: "pass" };
  }

  return remoteGuardrail(spec, {
    checkRequest: async (input) => (spec.scope === "output" ? { action: "pass" } : mask(input)),
    checkResponse: async (input) => {
      if (spec.outputParsePii) return checkTexts([unmaskDetector], input.texts, input.state);
      return spec.scope === "input" ? { action: "pass" } : mask(input);
    },
    // Unmasking is local: a stream keeps flowing; masking the answer needs the service, so it is held.
    scanStream: spec.outputParsePii ? ({ state }) => windowedScanner(spec.name, [unmaskDetector], state) : undefined,
    unmasksAnswer: spec.outputParsePii,
  });
}
