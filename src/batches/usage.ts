// What a completed batch used, in chat usage terms: the batch object's own `usage` when the provider
// reports it, else the sum over its output file (one JSON line per request, `response.body.usage`:
// chat and embeddings usage, or the Responses API's input/output tokens). Lines that failed carry no usage.
import type { Usage } from "../schema/openai";

interface AnyUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  input_tokens_details?: { cached_tokens?: number } | null;
}

/** A batch object, as far as its cost needs it. */
export interface BatchObject {
  id: string;
  status?: string;
  output_file_id?: string | null;
  usage?: AnyUsage | null;
}

export class UsageSum {
  prompt = 0;
  completion = 0;
  cached = 0;
  requests = 0;

  add(u: AnyUsage | null | undefined): void {
    if (!u) return;
    this.prompt += u.prompt_tokens ?? u.input_tokens ?? 0;
    this.completion += u.completion_tokens ?? u.output_tokens ?? 0;
    this.cached += u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens ?? 0;
    this.requests++;
  }

  /** One line of an output file. */
  addLine(line: string): void {
    if (!line.trim()) return;
    try {
      this.add((JSON.parse(line) as { response?: { body?: { usage?: AnyUsage } } }).response?.body?.usage);
    } catch {
      // A line that is not JSON (a truncated file) counts nothing.
    }
  }

  get usage(): Usage {
    return {
      prompt_tokens: this.prompt,
      completion_tokens: this.completion,
      total_tokens: this.prompt + this.completion,
      ...(this.cached ? { prompt_tokens_details: { cached_tokens: this.cached } } : {}),
    };
  }
}

/** Sums the usage of an output file read as a stream of bytes, line by line (never the whole file at once). */
export async function outputFileUsage(body: ReadableStream<Uint8Array>): Promise<Usage> {
  const sum = new UsageSum();
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) sum.addLine(line);
  }
  sum.addLine(rest + decoder.decode());
  return sum.usage;
}

/** The batch's own usage, when the provider reports it. */
export function reportedUsage(batch: BatchObject): Usage | undefined {
  if (!batch.usage) return undefined;
  const sum = new UsageSum();
  sum.add(batch.usage);
  return sum.usage;
}
