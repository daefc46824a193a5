// Guards a streamed answer chunk by chunk (OpenAI `chat.completion.chunk` or streamed
// `text_completion` objects, as the stream pipe emits them). Each choice's text runs through the
// post_call guardrails' scanners in config order; what they release replaces the chunk's delta,
// what they hold comes out on the choice's finish chunk (or at the end of the stream if the upstream
// stopped without one). Local guardrails hold at most a small window (local/local-guardrail.ts);
// a third-party guardrail holds the choice's whole text, since it can only judge complete text.
// A block throws GuardrailViolation: the pipe turns it into an SSE error event and stops.
import type { StreamContext, TextScanner } from "./types";
import type { Guardrail } from "./types";

type Json = Record<string, unknown>;

export interface StreamGuard {
  /** One upstream chunk in; the chunks to send now out (the same chunk, its text possibly held back or masked). */
  chunk(chunk: Json): Promise<Json[]>;
  /** Upstream finished: what is still held, as chunks to send before `[DONE]`. */
  end(): Promise<Json[]>;
}

/** Runs a delta through a chain of scanners. */
function pushChain(chain: readonly TextScanner[], delta: string): string {
  let text = delta;
  for (const s of chain) text = s.push(text);
  return text;
}

async function endChain(chain: readonly TextScanner[]): Promise<string> {
  let carry = "";
  for (const s of chain) carry = s.push(carry) + (await s.end());
  return carry;
}

export function createStreamGuard(guardrails: readonly Guardrail[], context: (g: Guardrail) => StreamContext): StreamGuard {
  const chains = new Map<number, TextScanner[]>();
  const finished = new Set<number>();
  let last: Json | undefined;
  const chainFor = (index: number) => {
    let chain = chains.get(index);
    if (!chain) chains.set(index, (chain = guardrails.map((g) => g.scanStream(context(g)))));
    return chain;
  };
  return {
    async chunk(chunk) {
      const choices = chunk.choices;
      if (!Array.isArray(choices) || !choices.length) return [chunk];
      last = chunk;
      const out: Json[] = [];
      for (const choice of choices as Json[]) {
        const index = typeof choice.index === "number" ? choice.index : 0;
        const delta = choice.delta as Json | undefined;
        const isChat = delta !== undefined;
        const text = isChat ? delta.content : choice.text;
        let released = typeof text === "string" && text ? pushChain(chainFor(index), text) : undefined;
        if (choice.finish_reason != null && !finished.has(index)) {
          finished.add(index);
          const rest = chains.has(index) ? await endChain(chains.get(index)!) : "";
          if (rest) released = (released ?? "") + rest;
        }
        out.push(released === undefined ? choice : isChat ? { ...choice, delta: { ...delta, content: released } } : { ...choice, text: released });
      }
      return [{ ...chunk, choices: out }];
    },
    async end() {
      const out: Json[] = [];
      for (const [index, chain] of chains) {
        if (finished.has(index)) continue;
        finished.add(index);
        const rest = await endChain(chain);
        if (!rest || !last) continue;
        const isChat = last.object === "chat.completion.chunk";
        const choice = isChat ? { index, delta: { content: rest }, finish_reason: null } : { index, text: rest, finish_reason: null };
        out.push({ id: last.id, object: last.object, created: last.created, model: last.model, choices: [choice] });
      }
      return out;
    },
  };
}
