// The semantic cache (LiteLLM's redis-semantic / qdrant-semantic): a request whose last user message
// means nearly the same as a cached one's gets that answer. The prompt is embedded with the configured
// embedding model (through the gateway's own router) and compared with the cached prompts of the same
// scope: everything else of the request (earlier messages, params, model, format), the caller's key
// (LiteLLM isolates semantic matches per key) and the namespace's generation.
import type { LlmCall } from "../../core/call";
import { bounded } from "../bounded";
import { hashMaterial, semanticQuestion } from "../key";
import type { VectorIndex, VectorMatch } from "./vectors";

/** Embeds a text with the semantic cache's embedding model. */
export type Embedder = (text: string) => Promise<number[]>;

export interface SemanticProbe {
  scope: string;
  text: string;
  /** The prompt's vector, once computed (by the lookup, or when storing). */
  vector?: number[];
}

export interface Semantic {
  index: VectorIndex;
  embed: Embedder;
  threshold: number;
  timeoutMs: number;
}

let warned = false;
function warnOnce(what: string, err: unknown): void {
  if (warned) return;
  warned = true;
  console.warn(`[cache] semantic ${what} failed (counted as a miss): ${(err as Error)?.message ?? err}`);
}

async function embedWithin(semantic: Semantic, text: string): Promise<number[]> {
  const vector = await bounded(semantic.embed(text), semantic.timeoutMs);
  if (!vector) throw new Error(`no embedding within ${semantic.timeoutMs} ms`);
  return vector;
}

/** What a semantic lookup compares for this call, or undefined when it has no plain-text prompt. */
export async function semanticProbe(call: LlmCall, material: Record<string, unknown>, tenant: string, generation: string): Promise<SemanticProbe | undefined> {
  const question = semanticQuestion(call, material);
  if (!question) return undefined;
  return { text: question.text, scope: await hashMaterial({ ...question.material, tenant, generation }) };
}

/** The closest cached prompt of the probe's scope above the threshold; failures (embedding, index) are misses. */
export async function findSimilar(semantic: Semantic, probe: SemanticProbe): Promise<VectorMatch | null> {
  try {
    probe.vector = await embedWithin(semantic, probe.text);
    return await semantic.index.nearest(probe.scope, probe.vector, semantic.threshold);
  } catch (err) {
    warnOnce("lookup", err);
    return null;
  }
}

/** Files a stored answer's prompt under its vector (embedding it now if the lookup did not). */
export async function rememberSimilar(semantic: Semantic, probe: SemanticProbe, key: string): Promise<void> {
  try {
    probe.vector ??= await embedWithin(semantic, probe.text);
    await semantic.index.add(probe.scope, probe.vector, key);
  } catch (err) {
    warnOnce("store", err);
  }
}
