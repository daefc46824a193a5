// What a request needs of a deployment (tools, images, a JSON schema, ...) against the
// `model_info.supports_*` flags: a deployment that says `false` for something the request uses is
// skipped; when none is left the request gets a 400 saying what no deployment of the group supports.
// Only flags written `false` count (unset means "may support", as LiteLLM treats unknown models).
import type { LlmRequest } from "../core/call";
import type { Deployment, ModelGroup } from "../core/provider";
import { GatewayError } from "../errors";
import type { CapabilityFlag } from "../schema/capabilities";
import type { ChatRequest } from "../schema/openai";

/** A flag the request needs, what in the request needs it, and the request field to name in a 400. */
export interface Need {
  flag: CapabilityFlag;
  what: string;
  param: string;
}

/** Flags some deployment of the group declares false; empty for nearly every group, which then skips the checks. */
export function flagsDeclaredFalse(deployments: readonly Deployment[]): ReadonlySet<CapabilityFlag> {
  const out = new Set<CapabilityFlag>();
  for (const d of deployments) {
    for (const [key, value] of Object.entries(d.info)) if (value === false && key.startsWith("supports_")) out.add(key as CapabilityFlag);
  }
  return out;
}

/** Content part types -> the flag a deployment needs to read them. */
const PART_FLAGS: Record<string, [CapabilityFlag, string]> = {
  image_url: ["supports_vision", "images"],
  input_audio: ["supports_audio_input", "audio input"],
  file: ["supports_pdf_input", "files (PDF)"],
  document: ["supports_pdf_input", "files (PDF)"],
  video_url: ["supports_video_input", "video input"],
};

function chatNeeds(body: ChatRequest, out: Need[]): void {
  if (body.tools?.length) {
    out.push({ flag: "supports_function_calling", what: "tools (function calling)", param: "tools" });
    if (body.tool_choice && body.tool_choice !== "auto" && body.tool_choice !== "none") out.push({ flag: "supports_tool_choice", what: "tool_choice", param: "tool_choice" });
    if (body.parallel_tool_calls === true) out.push({ flag: "supports_parallel_function_calling", what: "parallel tool calls", param: "parallel_tool_calls" });
  }
  if (body.response_format?.type === "json_schema") out.push({ flag: "supports_response_schema", what: "response_format json_schema", param: "response_format" });
  if (body.reasoning_effort) out.push({ flag: "supports_reasoning", what: "reasoning_effort", param: "reasoning_effort" });
  if ((body as Record<string, unknown>).web_search_options) out.push({ flag: "supports_web_search", what: "web search", param: "web_search_options" });
  const seen = new Set<string>();
  for (const m of body.messages) {
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content) {
      const need = PART_FLAGS[part.type];
      if (need && !seen.has(part.type)) {
        seen.add(part.type);
        out.push({ flag: need[0], what: need[1], param: "messages" });
      }
    }
  }
}

/** What this request needs, among the flags the group declares false (nothing else can exclude a deployment). */
export function requestNeeds(request: LlmRequest, declaredFalse: ReadonlySet<CapabilityFlag>): readonly Need[] {
  if (!declaredFalse.size || request.endpoint !== "chat") return [];
  const all: Need[] = [];
  chatNeeds(request.body, all);
  return all.filter((n) => declaredFalse.has(n.flag));
}

export const canServe = (d: Deployment, needs: readonly Need[]) => needs.every((n) => d.info[n.flag] !== false);

/** The 400 when no deployment of the group can serve what the request needs. */
export function unsupportedByGroup(group: ModelGroup, needs: readonly Need[]): GatewayError {
  const missing = needs.filter((n) => group.deployments.every((d) => d.info[n.flag] === false));
  const need = missing[0] ?? needs[0];
  const flags = (missing.length ? missing : needs).map((n) => `${n.flag}: false`).join(", ");
  return new GatewayError(
    400,
    "bad_request",
    `model=${group.name} does not support ${need.what}: no deployment of this model group can serve the request (model_info ${flags}). Use a model that supports it, or remove ${need.param} from the request.`,
    { param: need.param },
  );
}
