// Azure's stream is OpenAI's plus annotation chunks with no choices.
import { OpenAIStreamTranslator } from "../openai/stream";
import type { ChunkSink } from "../../core/provider";

/**
 * Azure's stream is OpenAI's plus annotation chunks with no choices (`prompt_filter_results`, and
 * `content_filter_results`-only ones): those carry nothing a client renders and are dropped.
 */
export class AzureStreamTranslator extends OpenAIStreamTranslator {
  override onEvent(event: { data: string }, emit: ChunkSink): void {
    if (event.data.includes('"choices":[]') && !event.data.includes('"usage":{')) return;
    super.onEvent(event, emit);
  }
}
