// Error answers of any shape (a string, an object, an array, FastAPI's detail list, a number, null,
// empty, an HTML page) keep the upstream's message and status in every adapter, are logged, and count
// toward cooldowns. Before, an `ollama/` 500 with `{"error":{"message":...}}` became the gateway's own
// "Internal error in the gateway", unlogged and uncounted.
import { afterEach, describe, expect, it, vi } from "vitest";
import { messageOf } from "../../src/providers/shared/errors";
import { BEDROCK_ACCESS_KEY, BEDROCK_SECRET_KEY, COHERE_KEY } from "../mocks/credentials";
import { SHAPE_MESSAGE, SHAPES } from "../mocks/shapes";
import { MOCK_URL, testGateway } from "./helpers";

const base = (shape: string, status = 500) => `${MOCK_URL}/shape/${shape}/${status}`;

/** One deployment per adapter, all answering from the error-shape route. */
async function deployments(shape: string, status = 500) {
  const sa = await (await fetch(`${MOCK_URL}/vertex/__service_account?email=shapes@mock-project.iam.gserviceaccount.com`)).text();
  const params: Record<string, { model: string } & Record<string, unknown>> = {
    openai: { model: "openai/gpt-4o", api_key: "sk-upstream-secret-0000" },
    groq: { model: "groq/llama-3.3-70b", api_key: "gsk-upstream" },
    ollama: { model: "ollama/llama3.2" },
    ollama_chat: { model: "ollama_chat/llama3.2" },
    anthropic: { model: "anthropic/claude-sonnet-4-5", api_key: "sk-ant-upstream" },
    gemini: { model: "gemini/gemini-2.5-flash", api_key: "AIzaSy-upstream" },
    google: { model: "google/gemini-2.5-flash", api_key: "AIzaSy-upstream" },
    azure: { model: "azure/gpt-4o", api_key: "azure-upstream" },
    azure_ai: { model: "azure_ai/Mistral-large", api_key: "azure-ai-upstream" },
    bedrock: { model: "bedrock/anthropic.claude-3-haiku", aws_access_key_id: BEDROCK_ACCESS_KEY, aws_secret_access_key: BEDROCK_SECRET_KEY, aws_region_name: "us-east-1" },
    workers_ai: { model: "workers_ai/@cf/meta/llama-3.1-8b-instruct", api_key: "cf-upstream" },
    cohere: { model: "cohere/command-a-03-2025", api_key: COHERE_KEY },
    vertex_gemini: { model: "vertex_ai/gemini-2.5-flash", vertex_credentials: sa, vertex_project: "p" },
    vertex_claude: { model: "vertex_ai/claude-sonnet-4-5", vertex_credentials: sa, vertex_project: "p" },
  };
  return Object.entries(params).map(([name, p]) => ({
    model_name: name,
    litellm_params: { ...p, api_base: base(shape, status) },
    model_info: { id: `${name}-${shape}-${crypto.randomUUID()}` },
  }));
}

afterEach(() => vi.restoreAllMocks());

describe("error bodies of any shape", () => {
  it("keep the upstream's status and message in every adapter", async () => {
    for (const shape of SHAPES) {
      const model_list = await deployments(shape);
      const gw = await testGateway({ model_list, router_settings: { num_retries: 0 } });
      const answers = await Promise.all(model_list.map(async ({ model_name }) => {
        const res = await gw.post("/v1/chat/completions", { model: model_name, messages: [{ role: "user", content: "hi" }] });
        return { model_name, res, error: ((await res.json()) as any).error };
      }));
      for (const { model_name, res, error } of answers) {
        const where = `${model_name} with a ${shape} body`;
        expect(res.status, where).toBe(500);
        expect(error.message, where).not.toContain("Internal error in the gateway");
        const provider = model_name.startsWith("vertex") ? "vertex_ai" : model_name;
        expect(error.message, where).toMatch(new RegExp(`^${provider} error: `));
        if (["empty", "null"].includes(shape)) expect(error.message, where).toContain("HTTP 500");
        else if (shape === "number") expect(error.message, where).toContain("500");
        else expect(error.message, where).toContain(SHAPE_MESSAGE);
      }
    }
  });

  it("an ollama/ 500 with an error object is logged and cools the deployment down (allowed_fails)", async () => {
    const warn = vi.spyOn(console, "warn");
    const id = `ollama-object-${crypto.randomUUID()}`;
    const gw = await testGateway({
      model_list: [{ model_name: "local", litellm_params: { model: "ollama/llama3.2", api_base: base("object") }, model_info: { id } }],
      router_settings: { num_retries: 0, allowed_fails: 0, cooldown_time: 30 },
    });
    const first = await gw.post("/v1/chat/completions", { model: "local", messages: [{ role: "user", content: "hi" }] });
    expect(first.status).toBe(500);
    expect(((await first.json()) as any).error).toMatchObject({ message: `ollama error: ${SHAPE_MESSAGE}`, type: "internal_server_error" });
    expect(warn.mock.calls.some((args) => String(args[0]).includes(`deployment=${id}`) && String(args[0]).includes(SHAPE_MESSAGE))).toBe(true);
    const second = await gw.post("/v1/chat/completions", { model: "local", messages: [{ role: "user", content: "hi" }] });
    expect(second.status).toBe(429);
    expect(((await second.json()) as any).error.message).toContain(`cooldown_list=["${id}"]`);
  });

  it("messageOf finds the message in each shape", () => {
    expect(messageOf("plain")).toBe("plain");
    expect(messageOf({ error: "as string" })).toBe("as string");
    expect(messageOf({ error: { message: "nested", type: "server_error" } })).toBe("nested");
    expect(messageOf([{ error: { message: "in array" } }])).toBe("in array");
    expect(messageOf({ detail: [{ msg: "fastapi" }] })).toBe("fastapi");
    expect(messageOf({ errors: [{ code: 1, message: "cloudflare" }] })).toBe("cloudflare");
    expect(messageOf({ Message: "aws" })).toBe("aws");
    for (const nothing of [null, 42, {}, [], { error: { code: 500 } }, ""]) expect(messageOf(nothing)).toBeUndefined();
  });
});
