// OpenAI-format streams pass through event by event, as the upstream wrote them; only the first
// chunk (id, model), usage chunks and in-band errors are parsed.
import type { Usage } from "../../schema/openai";
import { parseEventJson } from "../shared/stream";
import { inBandError } from "../shared/errors";
import type { StreamTranslator } from "../../core/provider";

/** OpenAI-format passthrough stream: events go out as the upstream wrote them; the usage chunk is read, not forwarded. */
export class OpenAIStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  id = "";
  model = "";

  constructor(private readonly provider: string) {}

  onEvent(event: { data: string }, emit: (chunk: string | object) => void): void {
    const data = event.data;
    if (data === "[DONE]") return;
    // Only parse what must be read: the first chunk (id/model), usage chunks and in-band errors.
    if (!this.id || data.includes('"usage":{') || data.startsWith('{"error"')) {
      const chunk = parseEventJson<{ id?: string; model?: string; choices?: unknown[]; usage?: Usage; error?: unknown }>(data, this.provider);
      if (chunk.error) throw inBandError(this.provider, chunk.error);
      this.id ||= chunk.id ?? "";
      this.model ||= chunk.model ?? "";
      if (chunk.usage) {
        this.usage = chunk.usage;
        if (!chunk.choices?.length) return; // the pipe writes the usage chunk if the client asked for it
      }
    }
    emit(data);
  }
}
