// The local PII masker: what `presidio` does when no Presidio analyzer is configured. Finds emails,
// phone numbers, card numbers (Luhn), IBANs (checksum), US SSNs and IP addresses with the prebuilt
// patterns, and replaces each with a placeholder that stays the same for the same value across the
// call (<EMAIL_ADDRESS_1>, <PHONE_NUMBER_1>, ...). With output_parse_pii the answer gets the
// originals back. Names and places (Presidio's PERSON, LOCATION) need its NER model: not here.
import type { SpecOf } from "../spec";
import type { CallState, Guardrail } from "../types";
import { regexDetector, type Detector } from "./detector";
import { localGuardrail } from "./local-guardrail";
import { LOCAL_PII_ENTITIES, prebuiltPattern } from "./patterns";

/** One placeholder per distinct value per call, numbered per entity type, as LiteLLM's Presidio hook. */
export function placeholderFor(state: CallState, entity: string, value: string): string {
  const known = state.piiValues.get(value);
  if (known) return known;
  const n = (state.piiCounters.get(entity) ?? 0) + 1;
  state.piiCounters.set(entity, n);
  const token = `<${entity}_${n}>`;
  state.piiValues.set(value, token);
  state.piiTokens.set(token, value);
  return token;
}

/** Puts the originals back for the placeholders this call handed out. */
export const unmaskDetector: Detector = regexDetector({ source: "<[A-Z][A-Z_]*_\\d{1,6}>", window: 40 }, (token, state) => {
  const original = state.piiTokens.get(token);
  return original === undefined ? undefined : { block: false, replacement: original, label: "PII placeholder" };
});

export function piiMaskGuardrail(spec: SpecOf<"pii_mask">): Guardrail {
  const detectors = Object.entries(spec.entities).flatMap(([entity, action]) =>
    LOCAL_PII_ENTITIES[entity].map((name) =>
      regexDetector(prebuiltPattern(name)!, (match, state) =>
        action === "BLOCK"
          ? { block: true, replacement: "", label: `${entity} detected` }
          : { block: false, replacement: placeholderFor(state, entity, match), label: `${entity} detected` },
      ),
    ),
  );
  const onInput = spec.scope !== "output" ? detectors : [];
  // The answer: unmasked (output_parse_pii), or masked too when post_call is asked for it.
  const onOutput = spec.outputParsePii ? [unmaskDetector] : spec.scope !== "input" && spec.modes.includes("post_call") ? detectors : [];
  return localGuardrail(spec, onInput, onOutput, { unmasksAnswer: spec.outputParsePii });
}
