// How long an uploaded audio file plays, from its header, for per-second prices (transcriptions):
// exact for WAV (byte rate and data size), close for constant-bitrate MP3 (first frame's bitrate).
// Other formats (ogg, webm, m4a, flac) are undefined: the provider's own duration is used then.

/** The lowest bitrate a speech file is assumed to have when its header tells nothing (16 kbit/s): a bound for reservations. */
export const MIN_BYTES_PER_SECOND = 2_000;

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

function wavSeconds(b: Uint8Array, size: number): number | undefined {
  if (b.length < 12 || ascii(b, 0, 4) !== "RIFF" || ascii(b, 8, 4) !== "WAVE") return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let byteRate = 0;
  // Walk the chunks: "fmt " holds the byte rate, "data" the samples (its size may be a placeholder when streamed).
  for (let at = 12; at + 8 <= b.length; ) {
    const id = ascii(b, at, 4);
    const length = view.getUint32(at + 4, true);
    if (id === "fmt " && at + 16 <= b.length) byteRate = view.getUint32(at + 16, true);
    if (id === "data") {
      if (!byteRate) return undefined;
      const data = length > 0 && length < 0xffffffff ? Math.min(length, size - at - 8) : size - at - 8;
      return data / byteRate;
    }
    at += 8 + length + (length % 2);
  }
  return undefined;
}

// MPEG-1 Layer III bitrates (kbit/s) by header index; MPEG-2/2.5 Layer III on the second row.
const MP3_KBPS = [
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

function mp3Seconds(b: Uint8Array, size: number): number | undefined {
  let at = 0;
  if (ascii(b, 0, 3) === "ID3" && b.length >= 10) at = 10 + ((b[6] << 21) | (b[7] << 14) | (b[8] << 7) | b[9]);
  for (; at + 4 <= b.length; at++) {
    if (b[at] !== 0xff || (b[at + 1] & 0xe0) !== 0xe0) continue;
    const version = (b[at + 1] >> 3) & 3; // 3 = MPEG-1
    const layer = (b[at + 1] >> 1) & 3; // 1 = Layer III
    const kbps = MP3_KBPS[version === 3 ? 0 : 1][(b[at + 2] >> 4) & 15];
    if (layer !== 1 || !kbps) continue;
    return ((size - at) * 8) / (kbps * 1000);
  }
  return undefined;
}

/** Seconds of audio in a file, from its first bytes (`head`, 64 KiB is plenty) and its size; undefined when the format does not tell. */
export function audioSeconds(head: Uint8Array, size: number): number | undefined {
  return wavSeconds(head, size) ?? mp3Seconds(head, size);
}

/** The audio's seconds from its header, else the most it can be at MIN_BYTES_PER_SECOND. */
export function audioSecondsBound(seconds: number | undefined, size: number): number {
  return seconds ?? size / MIN_BYTES_PER_SECOND;
}

/** A 16 kHz mono 16-bit PCM WAV, `seconds` long: silence, or a tone at `hz` (/health's probe file; tests). */
export function wavBytes(seconds: number, hz = 0): Uint8Array {
  const rate = 16_000;
  const samples = Math.round(rate * seconds);
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((ch, i) => (bytes[at + i] = ch.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  text(36, "data");
  view.setUint32(40, samples * 2, true);
  if (hz) for (let i = 0; i < samples; i++) view.setInt16(44 + i * 2, Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)), true);
  return bytes;
}
