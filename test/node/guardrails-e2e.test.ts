// Guardrails with `npm start` as a user runs it: the guide's config starts as pasted and prints its
// notes, a blocked_words_file next to the config is bundled at build time, and the official SDKs see a
// block as the error class they expect, in OpenAI's and Anthropic's shapes.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-e2e-guardrails-master-1";
let mock: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;

beforeAll(async () => {
  mock = await startMockUpstream();
  // The guide's guardrails, pasted, plus a content filter whose words come from a file beside the config.
  const config = `
model_list:
  - model_name: gpt
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${mock.url}/openai/v1, api_key: sk-upstream-e2e }
litellm_settings:
  content_policy:
    outgoing: { block_words: ["password", "api_key", "secret"] }
    incoming: { block_words: ["ignore previous instructions", "jailbreak"] }
  guardrails:
    - guardrail_name: "pii-masking"
      litellm_params: { guardrail: "presidio", mode: "during_call", default_on: true }
    - guardrail_name: "prompt-injection"
      litellm_params: { guardrail: "lakera_guard", mode: "pre_call" }
guardrails:
  - guardrail_name: words
    litellm_params:
      guardrail: litellm_content_filter
      mode: pre_call
      default_on: true
      blocked_words_file: ./blocked.yaml
general_settings:
  master_key: os.environ/E2E_MASTER_KEY
`;
  const words = "blocked_words:\n  - keyword: project-nightjar\n    action: BLOCK\n    description: codename\n";
  gw = await startGateway(config, { E2E_MASTER_KEY: MASTER, LAKERA_API_KEY: "" }, { files: { "blocked.yaml": words } });
  openai = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

describe("npm start with guardrails", () => {
  it("starts the guide's config as pasted, printing which guards run locally and no unsupported keys", () => {
    const out = gw.output();
    expect(out).toContain("[gateway] note: guardrail 'pii-masking' (presidio): no analyzer configured; using the local PII masker");
    expect(out).toContain("[gateway] note: guardrail 'prompt-injection' (lakera_guard): no api_key (nor LAKERA_API_KEY); using the local prompt-injection detector");
    expect(out).not.toContain("not supported yet");
  });

  it("masks PII on its way upstream and blocks the words of the bundled file, for the openai SDK", async () => {
    const ok = await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "e2e-guard-1 mail ann@example.com" }] });
    expect(ok.choices[0].message.content).toBe("Hello from the mock.");
    expect(mock.requests.find((r) => r.body.includes("e2e-guard-1"))!.body).toContain("mail <EMAIL_ADDRESS_1>");
    const err = await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "e2e-guard-2 about Project-Nightjar" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toEqual({ message: "Blocked by guardrail 'words': blocked word detected (codename)", type: "guardrail_violation", param: "guardrails", code: "400" });
    expect(mock.requests.some((r) => r.body.includes("e2e-guard-2"))).toBe(false);
  });

  it("answers a block in Anthropic's shape to the Anthropic SDK", async () => {
    const anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
    const err = await anthropic.messages.create({ model: "gpt", max_tokens: 20, messages: [{ role: "user", content: "a jailbreak, please" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: "error", error: { type: "invalid_request_error", message: "Blocked by guardrail 'content_policy': a blocked word (incoming content policy)" } });
  });
});
