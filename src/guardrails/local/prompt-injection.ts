// Local prompt-injection heuristics: what `lakera_guard`/`lakera_v2` does without an api_key, and
// LiteLLM's old `detect_prompt_injection` callback. Each text (a message part, a tool result) is
// scored: strong signals (overriding earlier instructions, asking for the system prompt, jailbreak
// personas) block alone; weak ones (chat-template tokens, "no restrictions", "new instructions:")
// block only together. Tuned not to fire on coding-agent traffic: system prompts saying "You are
// ...", code, logs, tokenizer configs. Zero-width characters are removed first.
//
// Hand-written: the npm detector that fits (@andersmyrmel/vard) took 4.8 ms on a 27 KB agent prompt,
// flagged a plain "You are an autonomous software engineering agent" system prompt, and missed
// "You are now DAN" and "Disregard the above and ...".
import type { SpecOf } from "../spec";
import type { CallState, Guardrail } from "../types";
import type { Detector, Finding } from "./detector";
import { localGuardrail } from "./local-guardrail";

interface Rule {
  label: string;
  weight: number;
  source: string;
}

const RULES: Rule[] = [
  {
    label: "instruction override",
    weight: 1,
    source:
      "\\b(?:ignore|disregard|forget|override|bypass)\\s+(?:all\\s+|any\\s+|every\\s+)?(?:of\\s+)?(?:the\\s+|your\\s+|my\\s+|these\\s+)?(?:previous|prior|above|earlier|preceding|former|original|initial|system)\\s+(?:instructions?|prompts?|rules|directions|directives|guidelines|commands|context)\\b" +
      "|\\b(?:ignore|disregard|forget)\\s+(?:all\\s+|everything\\s+)?(?:of\\s+)?(?:that\\s+|the\\s+|what\\s+)?(?:(?:was\\s+)?(?:said|written|stated)\\s+)?(?:above|before)\\s*(?:[.,;:!]|and\\b|then\\b)",
  },
  {
    label: "system prompt extraction",
    weight: 1,
    // "print the system prompt length" is a developer's request, "print your system prompt" is not.
    source:
      "\\b(?:(?:reveal|repeat|leak|dump|disclose|recite)\\s+(?:back\\s+)?(?:to\\s+me\\s+)?(?:all\\s+)?(?:of\\s+)?(?:your|the)|(?:print|output|show|tell)\\s+(?:me\\s+)?(?:all\\s+)?(?:of\\s+)?your)\\s+(?:full\\s+|entire\\s+|exact\\s+|original\\s+|hidden\\s+|secret\\s+|initial\\s+)*(?:system\\s+(?:prompt|message|instructions)|initial\\s+instructions|hidden\\s+instructions|original\\s+instructions|instructions\\s+(?:above|you\\s+were\\s+given))(?!\\s*(?:length|size|tokens?|file|variable|template|format|builder|config)\\b)",
  },
  {
    label: "jailbreak persona",
    weight: 1,
    source:
      "\\b(?:you\\s+are\\s+now|from\\s+now\\s+on,?\\s+you\\s+are|act\\s+as|pretend\\s+(?:to\\s+be|you\\s+are)|roleplay\\s+as)\\s+(?:an?\\s+)?(?:DAN|unfiltered|unrestricted|uncensored|jailbroken|unaligned|amoral)\\b" +
      "|\\bDAN\\s+mode\\b|\\bdo\\s+anything\\s+now\\b|\\b(?:developer|god|jailbreak)\\s+mode\\s+(?:is\\s+)?(?:enabled|activated|on)\\b",
  },
  { label: "chat template tokens", weight: 0.6, source: "<\\|(?:im_start|im_end|system|endoftext|start_header_id|end_header_id|eot_id)\\|>|\\[/?INST\\]|<</?SYS>>" },
  {
    label: "restriction removal",
    weight: 0.6,
    source: "\\b(?:without|free\\s+(?:of|from)|no\\s+longer\\s+bound\\s+by)\\s+(?:any\\s+)?(?:restrictions|filters|censorship|content\\s+polic(?:y|ies)|safety\\s+(?:rules|guidelines))\\b",
  },
  { label: "replacement instructions", weight: 0.6, source: "\\b(?:new|updated|real|actual|true)\\s+(?:system\\s+)?instructions?\\s*:" },
  { label: "jailbreak", weight: 0.5, source: "\\bjailbr(?:eak|oken)\\b" },
];

// One regex per rule: V8 runs seven small ones faster than their union (whose first-character
// check then admits almost every word).
const COMPILED = RULES.map((r) => ({ ...r, re: new RegExp(r.source, "i") }));
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/g;
const HAS_ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/;

const detector = (monitorOnly: boolean): Detector => ({
  window: 120,
  scan(raw: string, _state: CallState, out: Finding[]) {
    if (monitorOnly) return;
    const text = HAS_ZERO_WIDTH.test(raw) ? raw.replace(ZERO_WIDTH, "") : raw;
    let score = 0;
    let strongest: { start: number; end: number; label: string; weight: number } | undefined;
    for (const rule of COMPILED) {
      const m = rule.re.exec(text);
      if (!m) continue;
      score += rule.weight;
      if (!strongest || rule.weight > strongest.weight) strongest = { start: m.index, end: m.index + m[0].length, label: rule.label, weight: rule.weight };
      if (score >= 1) break;
    }
    // With zero-width characters removed the offsets are approximate; only a stream's hold-back uses them.
    if (score >= 1 && strongest) out.push({ start: strongest.start, end: strongest.end, block: true, replacement: "", label: `prompt injection detected (${strongest.label})` });
  },
});

export function promptInjectionGuardrail(spec: SpecOf<"prompt_injection">): Guardrail {
  const d = detector(spec.monitorOnly);
  return localGuardrail(spec, [d], [d]);
}
