// AWS's binary event stream (application/vnd.amazon.eventstream), as Bedrock's ConverseStream sends it:
//   [total length u32][headers length u32][prelude CRC32 u32][headers][payload][message CRC32 u32]
// Each header: name length u8, name, value type u8, value (strings: u16 length + UTF-8).
// Messages become StreamEvents: `event` is the :event-type header ("exception:<type>" for errors),
// `data` the payload text. Both CRCs are checked: a corrupt frame is an upstream error, never garbage output.
import { GatewayError } from "../../errors";
import type { StreamDecoder, StreamEvent } from "../../core/provider";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as the event stream uses. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const PRELUDE = 12;
const MAX_MESSAGE = 16 * 1024 * 1024;
const corrupt = (why: string) => new GatewayError(502, "server", `bedrock sent a corrupt event stream (${why})`, { upstream: true });

/** Fixed sizes of the non-string header value types (0/1 are booleans with no value). */
const FIXED_SIZE: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };

function readHeaders(bytes: Uint8Array, view: DataView, start: number, end: number, text: TextDecoder): Map<string, string> {
  const headers = new Map<string, string>();
  let at = start;
  while (at < end) {
    const nameLength = bytes[at];
    const name = text.decode(bytes.subarray(at + 1, at + 1 + nameLength));
    at += 1 + nameLength;
    const type = bytes[at++];
    if (type === 6 || type === 7) {
      const length = view.getUint16(at);
      if (type === 7) headers.set(name, text.decode(bytes.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    } else if (type in FIXED_SIZE) {
      at += FIXED_SIZE[type];
    } else {
      throw corrupt(`unknown header type ${type}`);
    }
  }
  if (at !== end) throw corrupt("headers overrun");
  return headers;
}

export function awsEventStreamDecoder(): StreamDecoder {
  const text = new TextDecoder();
  let buffer = new Uint8Array(0);

  const drain = (): StreamEvent[] => {
    const events: StreamEvent[] = [];
    let offset = 0;
    while (buffer.length - offset >= PRELUDE) {
      const view = new DataView(buffer.buffer, buffer.byteOffset + offset);
      const total = view.getUint32(0);
      const headersLength = view.getUint32(4);
      if (crc32(buffer, offset, offset + 8) !== view.getUint32(8)) throw corrupt("prelude checksum");
      if (total < PRELUDE + 4 + headersLength || total > MAX_MESSAGE) throw corrupt("bad length");
      if (buffer.length - offset < total) break;
      const message = buffer.subarray(offset, offset + total);
      const messageView = new DataView(message.buffer, message.byteOffset, total);
      if (crc32(message, 0, total - 4) !== messageView.getUint32(total - 4)) throw corrupt("message checksum");
      const headers = readHeaders(message, messageView, PRELUDE, PRELUDE + headersLength, text);
      const data = text.decode(message.subarray(PRELUDE + headersLength, total - 4));
      const messageType = headers.get(":message-type");
      if (messageType === "exception" || messageType === "error") {
        events.push({ event: `exception:${headers.get(":exception-type") ?? headers.get(":error-code") ?? "unknown"}`, data: data || JSON.stringify({ message: headers.get(":error-message") ?? "" }) });
      } else {
        events.push({ event: headers.get(":event-type"), data });
      }
      offset += total;
    }
    buffer = buffer.slice(offset);
    return events;
  };

  return {
    push(bytes) {
      if (!buffer.length) buffer = bytes.slice();
      else {
        const next = new Uint8Array(buffer.length + bytes.length);
        next.set(buffer);
        next.set(bytes, buffer.length);
        buffer = next;
      }
      return drain();
    },
    end() {
      if (buffer.length) throw corrupt("truncated message");
      return [];
    },
  };
}
