// The prebuilt patterns of LiteLLM's content filter (same names, so pasted configs work) plus the
// secret shapes this gateway adds, each with the checksum that separates a real value from digits
// that only look like one. Regexes use no `u` flag: V8 runs them ~15x faster on a 27 KB prompt.
//
// Deliberate differences from LiteLLM's patterns.json, to keep agent traffic (logs, code, hashes)
// from tripping them: card numbers must pass the Luhn check; `phone`/`us_phone` need a separator,
// parentheses or a leading + (LiteLLM's matches any 10 digits, e.g. a Unix timestamp);
// `aws_secret_key` needs mixed case and a digit (LiteLLM's matches every git SHA); `ipv6` does not
// match a bare `::` or a run without a digit (std::string).
import { isValidIBAN } from "ibantools";

export interface PatternDef {
  /** Regex source (compiled with the `g` flag, plus `flags`). */
  source?: string;
  flags?: string;
  /** A hand-made finder, where a plain regex is slow on long texts (it calls `emit` per occurrence). */
  find?: (text: string, emit: (start: number, end: number) => void) => void;
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

const charSet = (chars: string) => {
  const set = new Uint8Array(128);
  for (const c of chars) set[c.charCodeAt(0)] = 1;
  return (code: number) => code < 128 && set[code] === 1;
};
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const isEmailLocal = charSet(`${ALNUM}._%+-`);
const isWord = charSet(`${ALNUM}_`);
const isHexOrColon = charSet("0123456789abcdefABCDEF:");

// Emails: find "@domain.tld" (V8 skips to each "@"), then walk back over the local part.
const EMAIL_DOMAIN = /@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g;
function findEmails(text: string, emit: (start: number, end: number) => void) {
  EMAIL_DOMAIN.lastIndex = 0;
  for (let m = EMAIL_DOMAIN.exec(text); m; m = EMAIL_DOMAIN.exec(text)) {
    let start = m.index;
    while (start > 0 && m.index - start < 64 && isEmailLocal(text.charCodeAt(start - 1))) start--;
    while (start < m.index && !isWord(text.charCodeAt(start))) start++;
    if (start < m.index) emit(start, m.index + m[0].length);
  }
}

// IPv6: find "::" or ":h:h:h:" (V8 skips to each ":"; times like 14:02:31 fail at once), take the
// whole run of hex digits and colons, and check it. A run without a digit is code (std::string, Foo::bar), not an address.
const V6_ANCHOR = /:(?::|[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}:)/g;
const V6_FULL =
  /^(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:|(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}|(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}|(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}|(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(?::[0-9a-fA-F]{1,4}){1,6}|:(?::[0-9a-fA-F]{1,4}){1,7})$/;
function findIpv6(text: string, emit: (start: number, end: number) => void) {
  V6_ANCHOR.lastIndex = 0;
  for (let m = V6_ANCHOR.exec(text); m; m = V6_ANCHOR.exec(text)) {
    let start = m.index;
    let end = m.index + m[0].length;
    while (start > 0 && isHexOrColon(text.charCodeAt(start - 1))) start--;
    while (end < text.length && isHexOrColon(text.charCodeAt(end))) end++;
    V6_ANCHOR.lastIndex = end;
    // A colon that ends a sentence ("fe80::1: up") is not part of the address.
    if (text[end - 1] === ":" && text[end - 2] !== ":") end--;
    const candidate = text.slice(start, end);
    // Not "::"-compressed needs all 8 groups (7 colons): rules out times like 14:02:31 before the full check.
    if (!candidate.includes("::") && candidate.split(":").length < 8) continue;
    if (/\d/.test(candidate) && V6_FULL.test(candidate)) emit(start, end);
  }
}

// AWS secret keys: exactly 40 base64 characters standing alone, with upper and lower case and a
// digit (LiteLLM's pattern, which matches any 40 such characters, flags every git SHA). A run of 40
// covers a position that is a multiple of 40, so only those are probed (a regex tries every one).
const isBase64 = charSet(`${ALNUM}/+=`);
const MIXED = [/[a-z]/, /[A-Z]/, /\d/];
function findAwsSecrets(text: string, emit: (start: number, end: number) => void) {
  let after = 0;
  for (let probe = 39; probe < text.length; probe += 40) {
    if (probe < after || !isBase64(text.charCodeAt(probe))) continue;
    let start = probe;
    let end = probe + 1;
    while (start > 0 && isBase64(text.charCodeAt(start - 1))) start--;
    while (end < text.length && isBase64(text.charCodeAt(end))) end++;
    after = end;
    const key = text.slice(start, end);
    if (key.length === 40 && MIXED.every((re) => re.test(key))) emit(start, end);
  }
}

const card = (prefix: string, groups: string): PatternDef => ({
  source: `\\b(?:${prefix}${groups})\\b`,
  window: 23,
  validate: luhnValid,
  entity: "CREDIT_CARD",
});

export const PREBUILT_PATTERNS: Readonly<Record<string, PatternDef>> = {
  us_ssn: { source: "\\b(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}\\b", window: 11, entity: "US_SSN" },
  us_ssn_no_dash: { source: "\\b(?!000|666|9\\d\\d)\\d{3}(?!00)\\d{2}(?!0000)\\d{4}\\b", window: 9, entity: "US_SSN" },
  email: { find: findEmails, window: 80, entity: "EMAIL_ADDRESS" },
  phone: {
    // Each branch starts with its own first character ("+", "(" or a digit) so V8 can skip ahead;
    // the lookbehinds sit after it.
    source: "(?:\\+(?<![\\w+]\\+)\\d{1,3}[\\s.-]?(?:\\(\\d{1,4}\\)[\\s.-]?)?\\d{1,4}(?:[\\s.-]\\d{2,4}){1,4}|\\((?<![\\w+]\\()\\d{3}\\)\\s?\\d{3}[\\s.-]\\d{4}|\\d(?<![\\w+]\\d)\\d{2}[ .-]\\d{3}[\\s.-]\\d{4})\\b",
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
  ipv6: { find: findIpv6, window: 39, entity: "IP_ADDRESS" },
  aws_access_key: { source: "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", window: 20 },
  aws_secret_key: { find: findAwsSecrets, window: 41 },
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
