// Text that came from outside (a client's model name, an upstream's error message) made safe for the
// places it ends up: response headers (no control characters, bounded) and log lines (one line, bounded).

/** Longest value the gateway writes into a response header it fills from a name (a valid model name always fits). */
export const MAX_HEADER_VALUE = 1024;
/** Longest piece of outside text put into one log line. */
export const MAX_LOG_TEXT = 500;

const HEADER_SAFE = /^[\x20-\x7e]*$/;
// Control and format characters, line separators and lone surrogates (which encodeURIComponent refuses).
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** `text` cut to `max` characters, saying how much was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...(${text.length - max} more characters)`;
}

/**
 * A header value for `text`: printable ASCII passes as is (the usual case, one regex test); anything
 * else is percent-encoded (so it can never make the runtime refuse the response). Bounded either way,
 * cut before encoding so an escape is never split.
 */
export function headerValue(text: string, max = MAX_HEADER_VALUE): string {
  if (HEADER_SAFE.test(text)) return text.length <= max ? text : text.slice(0, max);
  const printable = text.replace(UNPRINTABLE, "");
  const encoded = encodeURIComponent(printable);
  // A UTF-16 unit encodes to at most 9 characters; cut the text, not its encoding.
  return encoded.length <= max ? encoded : encodeURIComponent(printable.slice(0, Math.floor(max / 9)).replace(/[\ud800-\udbff]$/, ""));
}

/** Outside text for a log line: control characters escaped (no forged lines), bounded. */
export function logText(text: string, max = MAX_LOG_TEXT): string {
  return clip(text, max).replace(UNPRINTABLE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}
