// Where the text is in a call: the request's message text parts (chat), prompt(s) (completions) or
// input(s) (embeddings); the answer's message content or text per choice. Anthropic's /v1/messages
// shapes (top-level `system`, text blocks, an answer's `content` blocks) are read too. Each
// reader returns the texts in order with a `write` that puts changed texts back into a copy (the
// original body is not touched; only the objects on a changed path are copied).
import type { RoleTexts } from "./types";

type Json = Record<string, unknown>;

export interface TextSlots extends RoleTexts {
  /** A copy of the body with the texts replaced (same order and count as `texts`). */
  write(texts: readonly string[]): Json;
}

interface Slot {
  text: string;
  role: string;
  /** Path of keys/indexes from the body to the string. */
  path: (string | number)[];
}

function slots(list: Slot[], body: Json): TextSlots {
  return {
    texts: list.map((s) => s.text),
    roles: list.map((s) => s.role),
    write(texts) {
      const root: Json = { ...body };
      for (let i = 0; i < list.length; i++) {
        if (texts[i] === list[i].text) continue;
        let node: Record<string | number, unknown> = root;
        const path = list[i].path;
        for (let j = 0; j < path.length - 1; j++) {
          const child = node[path[j]];
          const copy = Array.isArray(child) ? [...child] : { ...(child as Json) };
          node[path[j]] = copy;
          node = copy as Record<string | number, unknown>;
        }
        node[path[path.length - 1]] = texts[i];
      }
      return root;
    },
  };
}

/**
 * Text blocks of a content list ([{type: "text", text}]) under `path`, and the text of Anthropic's
 * tool results in it (file contents, command output: what a coding agent sends most), as role "tool".
 */
function textParts(list: Slot[], parts: unknown[], role: string, path: (string | number)[]) {
  parts.forEach((part, j) => {
    const p = part as Json | undefined;
    if (p?.type === "text" && typeof p.text === "string") list.push({ text: p.text, role, path: [...path, j, "text"] });
    else if (p?.type === "tool_result" && typeof p.content === "string") list.push({ text: p.content, role: "tool", path: [...path, j, "content"] });
    else if (p?.type === "tool_result" && Array.isArray(p.content)) textParts(list, p.content, "tool", [...path, j, "content"]);
  });
}

/**
 * The texts a request sends to the model: chat messages (string content or text parts; also
 * Anthropic's top-level `system`), prompt(s), embedding input(s). Token ids and images carry no text.
 */
export function requestTexts(body: Json): TextSlots {
  const list: Slot[] = [];
  if (typeof body.system === "string") list.push({ text: body.system, role: "system", path: ["system"] });
  else if (Array.isArray(body.system)) textParts(list, body.system, "system", ["system"]);
  if (Array.isArray(body.messages)) {
    body.messages.forEach((m: Json, i) => {
      const role = typeof m?.role === "string" ? m.role : "user";
      if (typeof m?.content === "string") list.push({ text: m.content, role, path: ["messages", i, "content"] });
      else if (Array.isArray(m?.content)) textParts(list, m.content, role, ["messages", i, "content"]);
    });
  } else {
    for (const key of ["prompt", "input"] as const) {
      const value = body[key];
      if (typeof value === "string") list.push({ text: value, role: "user", path: [key] });
      else if (Array.isArray(value)) value.forEach((v, i) => typeof v === "string" && list.push({ text: v, role: "user", path: [key, i] }));
    }
  }
  return slots(list, body);
}

/** The answer's texts: each chat choice's message content, each completion choice's text, or an Anthropic message's text blocks. */
export function answerTexts(answer: Json): TextSlots {
  const list: Slot[] = [];
  if (Array.isArray(answer.content)) textParts(list, answer.content, "assistant", ["content"]);
  if (Array.isArray(answer.choices)) {
    answer.choices.forEach((c: Json, i) => {
      const message = c?.message as Json | undefined;
      if (typeof message?.content === "string") list.push({ text: message.content, role: "assistant", path: ["choices", i, "message", "content"] });
      else if (typeof c?.text === "string") list.push({ text: c.text, role: "assistant", path: ["choices", i, "text"] });
    });
  }
  return slots(list, answer);
}
