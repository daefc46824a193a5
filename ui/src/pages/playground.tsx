// Chat with any model the signed-in session may use, streamed chunk by chunk through the gateway's
// own /chat/completions (the session cookie and CSRF token stand in for an API key).
import { useRef, useState } from "preact/hooks";
import { send, type Session } from "../api";
import { Field, Notice, PageHeader } from "../components";
import { useModelNames } from "./keys";

interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Reads an OpenAI SSE stream, calling `onText` with each delta's content. */
async function readStream(res: Response, onText: (text: string) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message ?? "the stream ended with an error");
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) onText(text);
      }
    }
  }
}

export function Playground(_props: { session: Session }) {
  const models = useModelNames();
  const [model, setModel] = useState("");
  const [system, setSystem] = useState("");
  const [input, setInput] = useState("");
  const [stream, setStream] = useState(true);
  const [history, setHistory] = useState<Message[]>([]);
  const [reply, setReply] = useState<string | null>(null);
  const [meta, setMeta] = useState<string>();
  const [error, setError] = useState<string>();
  const abort = useRef<AbortController | null>(null);
  const chosen = model || models[0] || "";

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!input.trim() || !chosen || abort.current) return;
    const turn: Message[] = [...history, { role: "user", content: input }];
    setHistory(turn);
    setInput("");
    setError(undefined);
    setReply("");
    const controller = (abort.current = new AbortController());
    const started = performance.now();
    let firstChunk: number | undefined;
    let text = "";
    try {
      const messages = system.trim() ? [{ role: "system", content: system }, ...turn] : turn;
      const res = await send("/chat/completions", { body: { model: chosen, messages, stream }, signal: controller.signal });
      if (stream) {
        await readStream(res, (t) => {
          firstChunk ??= performance.now() - started;
          text += t;
          setReply(text);
        });
      } else {
        const body = await res.json();
        text = body.choices?.[0]?.message?.content ?? "";
      }
      const deployment = res.headers.get("x-litellm-model-id");
      setMeta(`${chosen}${deployment ? ` (deployment ${deployment.slice(0, 12)})` : ""} · ${firstChunk !== undefined ? `first chunk ${firstChunk.toFixed(0)} ms · ` : ""}${(performance.now() - started).toFixed(0)} ms`);
    } catch (err) {
      if ((err as Error).name !== "AbortError") setError((err as Error).message);
    } finally {
      abort.current = null;
      setReply(null);
      if (text) setHistory([...turn, { role: "assistant", content: text }]);
    }
  };

  return (
    <>
      <PageHeader title="Playground">
        <button
          class="ghost"
          onClick={() => {
            setHistory([]);
            setMeta(undefined);
          }}
        >
          Clear chat
        </button>
      </PageHeader>
      <div class="playground">
        <aside class="card">
          <Field label="Model">
            <select aria-label="Model" value={chosen} onChange={(e) => setModel(e.currentTarget.value)}>
              {models.map((m) => (
                <option value={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label="System prompt">
            <textarea rows={5} value={system} onInput={(e) => setSystem(e.currentTarget.value)} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={stream} onChange={(e) => setStream(e.currentTarget.checked)} /> Stream the answer
          </label>
          {models.length === 0 && <Notice kind="warn">No model is available to this session.</Notice>}
        </aside>
        <section class="card chat">
          <div class="transcript" data-testid="transcript">
            {history.length === 0 && reply === null && <p class="muted">Send a message to start.</p>}
            {history.map((m) => (
              <div class={`msg ${m.role}`}>
                <span class="who">{m.role}</span>
                <div class="text">{m.content}</div>
              </div>
            ))}
            {reply !== null && (
              <div class="msg assistant streaming" data-testid="streaming">
                <span class="who">assistant</span>
                <div class="text">{reply || "…"}</div>
              </div>
            )}
          </div>
          {error && <Notice kind="error">{error}</Notice>}
          {meta && <p class="muted small">{meta}</p>}
          <form class="composer" onSubmit={submit}>
            <textarea
              rows={2}
              aria-label="Message"
              placeholder="Message (Enter to send, Shift+Enter for a new line)"
              value={input}
              onInput={(e) => setInput(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && !e.shiftKey) submit(e);
              }}
            />
            {reply !== null ? (
              <button type="button" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            ) : (
              <button class="primary" type="submit">
                Send
              </button>
            )}
          </form>
        </section>
      </div>
    </>
  );
}
