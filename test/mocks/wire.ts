// Small helpers shared by the provider mocks (anthropic.ts, gemini.ts, bedrock.ts, azure.ts).
import type { ServerResponse } from "node:http";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The mock's answer text, streamed word by word. */
export const WORDS = ["Hello", " from", " the", " mock", "."];
export const TEXT = WORDS.join("");

/**
 * `script-<base64url of a JSON list of strings>` in the model name: the answer's pieces, streamed one per
 * chunk (tests that need a given answer, e.g. a word split across two chunks). scriptModel() makes the name.
 */
export function scriptedWords(model: string): string[] | undefined {
  const m = /script-([A-Za-z0-9_-]+)/.exec(model);
  return m ? (JSON.parse(Buffer.from(m[1], "base64url").toString("utf8")) as string[]) : undefined;
}

export const scriptModel = (...pieces: string[]) =>
  `script-${btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(pieces)))).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "")}`;

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** `error-<status>[-variant]` in the model name: the status and variant a test asks for. */
export function requestedError(model: string): { status: number; variant?: string } | undefined {
  const m = /error-(\d{3})(?:-(\w+))?/.exec(model);
  return m ? { status: Number(m[1]), variant: m[2] } : undefined;
}

/** Closes the connection mid-stream, as a dying upstream does (after what was written has gone out). */
export async function cut(res: ServerResponse) {
  await new Promise<void>((resolve) => res.write("", () => resolve()));
  await sleep(20);
  res.socket?.destroy();
}
