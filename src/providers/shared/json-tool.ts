// response_format for providers with no JSON mode of their own (Anthropic, Bedrock Converse): the
// schema becomes a tool the model must call, and that call's input is returned as the message
// content (LiteLLM's approach, so clients see the same answer shape as from OpenAI).
import type { ChatRequest } from "../../schema/openai";

export const JSON_TOOL_NAME = "json_tool_call";

export interface JsonTool {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** The tool standing in for response_format, or undefined when the request asks for plain text. */
export function jsonToolFor(body: ChatRequest): JsonTool | undefined {
  const rf = body.response_format;
  if (!rf || rf.type === "text") return undefined;
  const schema = rf.type === "json_schema" && rf.json_schema?.schema ? rf.json_schema.schema : { type: "object" };
  const name = rf.type === "json_schema" ? rf.json_schema?.name : undefined;
  return { name: JSON_TOOL_NAME, description: `Respond with a JSON object${name ? ` (${name})` : ""}. Put the whole answer in this tool's input.`, schema };
}
