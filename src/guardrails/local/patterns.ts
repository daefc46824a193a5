// The prebuilt patterns of LiteLLM's content filter (same names, so pasted configs work) plus the
// secret shapes this gateway adds, each with the checksum that separates a real value from digits
// that only look like one. Regexes use no `u` flag: V8 runs them ~15x faster on a 27 KB prompt.
//
// Deliberate differences from LiteLLM's patterns.json, to keep agent traffic (logs, code, hashes)
// from tripping them: card numbers must pass the Luhn check; `phone`/`us_phone` need a separator,
// parentheses or a leading + (LiteLLM's matches any 10 digits, e.g. a Unix timestamp);
// `aws_secret_key` needs mixed case and a digit (LiteLLM's matches every git SHA); `ipv6` does not
// match a bare `::`.
import { isValidIBAN } from "ibantools";

export interface PatternDef {
  /** Regex source (compiled with the `g` flag, plus `flags`). */
  source: string;
  flags?: string;
  /** Longest span a streamed answer must hold back to see a typical occurrence whole. */
  window: number;
  /** Rejects a regex match that is not the real thing (checksums). */
  validate?: (match: string) => boolean;
  /** Presidio's entity type, for PII masking. */
  entity?: string;
}

/** Luhn mod-10 over the digits of a card number (separators ignored). */
export function luhnValid(text: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = double ? c * 2 : c;
    if (d > 9) d -= 9;
    sum += d;
    double = !double;
  }
  return digits >= 12 && sum % 10 === 0;
}

const ibanValid = (text: string) => isValidIBAN(text.replace(/ /g, ""));

const card = (prefix: string, groups: string): PatternDef => ({
  source: `\\b(?:${prefix}${groups})\\b`,
  window: 23,
  validate: luhnValid,
  entity: "CREDIT_CARD",
});

export const PREBUILT_PATTERNS: Readonly<Record<string, PatternDef>> = {
  us_ssn: { source: "\\b(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}\\b", window: 11, entity: "US_SSN" },
  us_ssn_no_dash: { source: "\\b(?!000|666|9\\d\\d)\\d{3}(?!00)\\d{2}(?!0000)\\d{4}\\b", window: 9, entity: "US_SSN" },
  email: { source: "\\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*\\.[A-Za-z]{2,24}\\b", window: 80, entity: "EMAIL_ADDRESS" },
  phone: {
    source: "(?<![\\w+])(?:\\+\\d{1,3}[\\s.-]?(?:\\(\\d{1,4}\\)[\\s.-]?)?\\d{1,4}(?:[\\s.-]\\d{2,4}){1,4}|(?:\\(\\d{3}\\)\\s?|\\d{3}[ .-])\\d{3}[\\s.-]\\d{4})\\b",
    window: 20,
    entity: "PHONE_NUMBER",
  },
  visa: card("4\\d{3}", "(?:[ -]?\\d{4}){3}"),
  mastercard: card("(?:5[1-5]\\d{2}|2[2-7]\\d{2})", "(?:[ -]?\\d{4}){3}"),
  amex: card("3[47]\\d{2}", "[ -]?\\d{6}[ -]?\\d{5}"),
  discover: card("6(?:011|5\\d{2})", "(?:[ -]?\\d{4}){3}"),
  credit_card: card("(?:4\\d{3}|5[1-5]\\d{2}|2[2-7]\\d{2}|6(?:011|5\\d{2}))(?:[ -]?\\d{4}){3}|3[47]\\d{2}[ -]?\\d{6}[ -]?\\d{5}", ""),
  iban: { source: "\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\\b", window: 42, validate: ibanValid, entity: "IBAN_CODE" },
  ipv4: {
    source: "\\b(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\b(?!\\.\\d)",
    window: 15,
    entity: "IP_ADDRESS",
  },
  ipv6: {
    source:
      "(?<![0-9a-fA-F:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:|(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}|(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}|(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}|(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(?::[0-9a-fA-F]{1,4}){1,6}|:(?::[0-9a-fA-F]{1,4}){1,7})(?![0-9a-fA-F:])",
    window: 39,
    entity: "IP_ADDRESS",
  },
  aws_access_key: { source: "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", window: 20 },
  aws_secret_key: {
    source: "(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]{0,39}[a-z])(?=[A-Za-z0-9/+=]{0,39}[A-Z])(?=[A-Za-z0-9/+=]{0,39}\\d)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    window: 40,
  },
  github_token: { source: "\\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})\\b", window: 40 },
  openai_api_key: { source: "\\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", window: 40 },
  anthropic_api_key: { source: "\\bsk-ant-(?:api|admin|oat)\\d{2}-[A-Za-z0-9_-]{20,}", window: 40 },
  slack_token: { source: "\\bxox[pboa]-\\d{10,13}-\\d{10,13}-[A-Za-z0-9]{24,32}\\b", window: 64 },
  generic_api_key: { source: "\\b[Aa][Pp][Ii][-_]?[Kk][Ee][Yy][\\s:=]+['\"]?[A-Za-z0-9_-]{20,}['\"]?", window: 48 },
  // An unterminated block runs to the end of the text (`$`), so a stream holds it until its END line.
  private_key: { source: "-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)", window: 40 },
};

/** LiteLLM's `us_phone` is this gateway's `phone` (see the note at the top). */
const ALIASES: Readonly<Record<string, string>> = { us_phone: "phone", ip_address: "ipv4" };

export function prebuiltPattern(name: string): PatternDef | undefined {
  return PREBUILT_PATTERNS[ALIASES[name] ?? name];
}

export const PREBUILT_NAMES: readonly string[] = [...Object.keys(PREBUILT_PATTERNS), ...Object.keys(ALIASES)];

/** The secret shapes `hide-secrets` masks. */
export const SECRET_PATTERNS = ["private_key", "anthropic_api_key", "openai_api_key", "github_token", "aws_access_key", "aws_secret_key", "slack_token", "generic_api_key"] as const;

/** The entities the local PII masker finds, with the prebuilt patterns that find them. */
export const LOCAL_PII_ENTITIES: Readonly<Record<string, readonly string[]>> = {
  EMAIL_ADDRESS: ["email"],
  CREDIT_CARD: ["credit_card"],
  IBAN_CODE: ["iban"],
  US_SSN: ["us_ssn"],
  PHONE_NUMBER: ["phone"],
  IP_ADDRESS: ["ipv4", "ipv6"],
};
