// The answer's text for callbacks that log it: a JSON answer is read from a clone of the response; a
// stream passes through a tap that copies what went to the client (up to MAX_CHARS, chunk by chunk, no
// delay) and is assembled into one message once it ends.
const MAX_CHARS = 256 * 1024;

export interface AnswerTap {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** The SSE text sent, once the stream has ended (cut at MAX_CHARS). */
  text: Promise<string>;
  /** The text sent so far (a stream the client left may never end its tap). */
  sofar(): string;
}

export function answerTap(): AnswerTap {
  const decoder = new TextDecoder();
  let text = "";
  let done!: (text: string) => void;
  const finished = new Promise<string>((resolve) => (done = resolve));
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (text.length < MAX_CHARS) text += decoder.decode(chunk, { stream: true });
    },
    flush() {
      done(text);
    },
    cancel() {
      done(text);
    },
  } as Transformer<Uint8Array, Uint8Array>);
  return { stream, text: finished, sofar: () => text };
}

interface Chunk {
  choices?: { delta?: { content?: string | null; tool_calls?: { function?: { name?: string; arguments?: string } }[] }; text?: string; finish_reason?: string | null }[];
  usage?: unknown;
  type?: string;
  delta?: { text?: string; partial_json?: string; stop_reason?: string };
}

/** A streamed answer (OpenAI chunks or Anthropic events) as one assistant message. */
export function assembleStreamAnswer(sse: string): unknown {
  let content = "";
  let toolArguments = "";
  let finishReason: string | null = null;
  let usage: unknown;
  for (const line of sse.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (!data || data === "[DONE]") continue;
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      continue; // cut at MAX_CHARS
    }
    for (const choice of chunk.choices ?? []) {
      content += choice.delta?.content ?? choice.text ?? "";
      for (const call of choice.delta?.tool_calls ?? []) toolArguments += call.function?.arguments ?? "";
      finishReason = choice.finish_reason ?? finishReason;
    }
    if (chunk.type === "content_block_delta") {
      content += chunk.delta?.text ?? "";
      toolArguments += chunk.delta?.partial_json ?? "";
    }
    if (chunk.type === "message_delta") finishReason = chunk.delta?.stop_reason ?? finishReason;
    if (chunk.usage) usage = chunk.usage;
  }
  const message: Record<string, unknown> = { role: "assistant", content };
  if (toolArguments) message.tool_call_arguments = toolArguments;
  return { object: "chat.completion", choices: [{ index: 0, message, finish_reason: finishReason }], ...(usage ? { usage } : {}) };
}
