// Builds guardrail engines from inline LiteLLM config and drives them the way the request path will:
// a request body in, a JSON answer or a stream of chunks out.
import { compileGuardrails, type CompileOptions } from "../../src/guardrails/compile";
import { GuardrailEngine } from "../../src/guardrails/engine";
import type { PrincipalGuardrails } from "../../src/guardrails/select";

export function engineFor(config: Record<string, unknown>, env: Record<string, unknown> = {}, options: CompileOptions = {}) {
  return new GuardrailEngine(compileGuardrails(config, options), env);
}

/** One guardrail entry of the top-level `guardrails:` list. */
export const guard = (name: string, params: Record<string, unknown>) => ({ guardrail_name: name, litellm_params: { default_on: true, ...params } });

export const chat = (...contents: string[]) => ({ model: "gpt-4o", messages: contents.map((content) => ({ role: "user", content })) });

export const answer = (content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
});

export const chunk = (content: string | undefined, finish: string | null = null, index = 0) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o",
  choices: [{ index, delta: content === undefined ? {} : { content }, finish_reason: finish }],
});

/** Streams `deltas` through the call's stream guard; returns the text the client received. */
export async function streamThrough(engine: GuardrailEngine, deltas: string[], body: Record<string, unknown> = chat("hi"), principal: PrincipalGuardrails = {}) {
  const call = engine.forCall(body, principal)!;
  await call.preCall(body);
  const guard = call.streamGuard()!;
  const sent: string[] = [];
  const take = (chunks: Record<string, unknown>[]) => {
    for (const c of chunks) for (const choice of c.choices as { delta?: { content?: string } }[]) if (choice.delta?.content) sent.push(choice.delta.content);
  };
  for (const [i, d] of deltas.entries()) take(await guard.chunk(chunk(d, i === deltas.length - 1 ? "stop" : null)));
  take(await guard.end());
  return { text: sent.join(""), pieces: sent };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown> | (() => unknown)): Promise<any> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

// ---- through the gateway ----

/** The text a client read from an OpenAI SSE answer (chat deltas or completion text), and its error event if any. */
export async function streamedText(res: Response): Promise<{ text: string; error?: { message: string; type: string; param: string | null; code: string } }> {
  let text = "";
  let error;
  for (const block of (await res.text()).split("\n\n")) {
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (!data || data === "[DONE]") continue;
    const chunk = JSON.parse(data);
    if (chunk.error) error = chunk.error;
    for (const choice of chunk.choices ?? []) text += choice.delta?.content ?? choice.text ?? "";
  }
  return { text, error };
}

/** Anthropic's SSE: named events with JSON data. */
export async function anthropicEvents(res: Response): Promise<{ event: string; data: any }[]> {
  return (await res.text())
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? "", data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") }));
}
