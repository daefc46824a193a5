// ConverseStream's events (AWS's binary event stream, decoded by ../shared/aws-event-stream.ts) -> OpenAI chunks.
import type { GatewayError } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { FinishReason, Usage } from "../../schema/openai";
import { JSON_TOOL_NAME } from "../shared/json-tool";
import { chatChunk } from "../shared/completion";
import { HeldRoleChunk, parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, StreamTranslator, UpstreamFailure } from "../../core/provider";
import { type ConverseUsage, FINISH_REASON, usageOf } from "./response";

/** HTTP status of each Bedrock exception, for exceptions that arrive inside a stream. */
const EXCEPTION_STATUS: Record<string, number> = {
  validationexception: 400,
  accessdeniedexception: 403,
  unrecognizedclientexception: 401,
  invalidsignatureexception: 401,
  expiredtokenexception: 401,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  throttlingexception: 429,
  modelnotreadyexception: 429,
  servicequotaexceededexception: 429,
  internalserverexception: 500,
  modelstreamerrorexception: 500,
  modelerrorexception: 500,
  serviceunavailableexception: 503,
};

/** An exception inside ConverseStream, as the failure an HTTP error with it would be. */
function streamFailure(type: string, data: string): UpstreamFailure {
  return { status: EXCEPTION_STATUS[type.toLowerCase()] ?? 500, headers: new Headers({ "x-amzn-errortype": type }), text: data };
}

interface ConverseEvent {
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId: string; name: string } };
  delta?: { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string; signature?: string; redactedContent?: string } };
  stopReason?: string;
  usage?: ConverseUsage;
}

/** ConverseStream events (by :event-type) -> OpenAI chunks. The role chunk waits for content, so early errors can be retried. */
export class ConverseStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  readonly id: string;
  readonly model: string;
  private readonly blocks = new Map<number, { toolIndex: number; json: boolean }>();
  private tools = 0;
  private sawJsonTool = false;
  private readonly created = nowSeconds();
  private readonly role = new HeldRoleChunk(() => this.chunk({ role: "assistant", content: "" }));

  constructor(
    ctx: AdapterContext,
    private readonly jsonTool: boolean,
    private readonly mapError: (failure: UpstreamFailure) => GatewayError,
  ) {
    this.id = `chatcmpl-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(delta: Record<string, unknown>, finish: FinishReason = null) {
    return chatChunk(this, this.created, delta, finish);
  }

  onEvent(event: { event?: string; data: string }, sink: ChunkSink): void {
    if (event.event?.startsWith("exception:")) throw this.mapError(streamFailure(event.event.slice(10), event.data));
    const emit = this.role.wrap(sink);
    const e = parseEventJson<ConverseEvent>(event.data, "bedrock");
    switch (event.event) {
      case "contentBlockStart": {
        const tool = e.start?.toolUse;
        if (!tool) return;
        if (this.jsonTool && tool.name === JSON_TOOL_NAME) {
          this.sawJsonTool = true;
          this.blocks.set(e.contentBlockIndex ?? 0, { toolIndex: -1, json: true });
          return;
        }
        const toolIndex = this.tools++;
        this.blocks.set(e.contentBlockIndex ?? 0, { toolIndex, json: false });
        emit(this.chunk({ tool_calls: [{ index: toolIndex, id: tool.toolUseId, type: "function", function: { name: tool.name, arguments: "" } }] }));
        return;
      }
      case "contentBlockDelta": {
        const d = e.delta ?? {};
        const block = this.blocks.get(e.contentBlockIndex ?? 0);
        if (d.text) emit(this.chunk({ content: d.text }));
        else if (d.toolUse?.input && block) {
          emit(block.json ? this.chunk({ content: d.toolUse.input }) : this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: d.toolUse.input } }] }));
        } else if (d.reasoningContent?.text) emit(this.chunk({ reasoning_content: d.reasoningContent.text }));
        else if (d.reasoningContent?.signature) emit(this.chunk({ thinking_blocks: [{ type: "thinking", thinking: "", signature: d.reasoningContent.signature }] }));
        else if (d.reasoningContent?.redactedContent) emit(this.chunk({ thinking_blocks: [{ type: "redacted_thinking", data: d.reasoningContent.redactedContent }] }));
        return;
      }
      case "messageStop": {
        const finish = this.sawJsonTool && this.tools === 0 ? "stop" : (FINISH_REASON[e.stopReason ?? ""] ?? "stop");
        emit(this.chunk({}, finish));
        return;
      }
      case "metadata":
        this.usage = usageOf(e.usage);
        return;
      default:
        return; // messageStart, contentBlockStop
    }
  }
}
