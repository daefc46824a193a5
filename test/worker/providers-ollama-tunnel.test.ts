// A home-lab Ollama reached the two ways a Worker can: (1) a public Tunnel hostname behind Cloudflare
// Access, with the service token in extra_headers (the mock refuses requests without it, as Access
// does); (2) a Workers VPC service binding (`vpc_binding`), where the request goes through
// env.<BINDING>.fetch instead of the global fetch. A real VPC binding cannot exist offline, so the
// test passes a fake Fetcher (a test double of the platform binding) that records what it was asked
// and forwards to the Ollama mock.
import { describe, expect, it } from "vitest";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const ACCESS_ID = "0123abcd.access";
const ACCESS_SECRET = "access-secret-0123456789abcdef";

const tunnelModel = (name: string, headers?: Record<string, string>) => ({
  model_name: name,
  litellm_params: { model: "ollama_chat/llama3.2", api_base: `${MOCK_URL}/tunnel`, ...(headers ? { extra_headers: headers } : {}) },
});

describe("Ollama behind a Cloudflare Tunnel + Access (public hostname)", () => {
  it("sends the Access service token from os.environ/ and gets through, streaming included", async () => {
    const gw = await testGateway(
      { model_list: [tunnelModel("llama", { "CF-Access-Client-Id": "os.environ/CF_ACCESS_CLIENT_ID", "CF-Access-Client-Secret": "os.environ/CF_ACCESS_CLIENT_SECRET" })] },
      { CF_ACCESS_CLIENT_ID: ACCESS_ID, CF_ACCESS_CLIENT_SECRET: ACCESS_SECRET },
    );
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "llama", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("Hello from the mock.");
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/tunnel/api/chat");
    expect(seen.headers["cf-access-client-id"]).toBe(ACCESS_ID);
    expect(seen.headers["cf-access-client-secret"]).toBe(ACCESS_SECRET);
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", stream: true, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
  });

  it("is refused by Access without the token, with a message that says what to fix (and no secret in it)", async () => {
    const gw = await testGateway({ model_list: [tunnelModel("naked"), tunnelModel("wrong", { "CF-Access-Client-Id": ACCESS_ID, "CF-Access-Client-Secret": "wrong-secret-value" })] });
    for (const model of ["naked", "wrong"]) {
      const res = await gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
      expect(res.status, model).toBe(403);
      const message = ((await res.json()) as any).error.message as string;
      expect(message).toContain("Cloudflare Access refused the request");
      expect(message).not.toContain("<html");
      expect(message).not.toContain("wrong-secret-value");
    }
  });

  it("shows up in /health as healthy with the token and unhealthy without", async () => {
    const gw = await testGateway(
      { model_list: [tunnelModel("good", { "CF-Access-Client-Id": ACCESS_ID, "CF-Access-Client-Secret": ACCESS_SECRET }), tunnelModel("naked")] },
    );
    const health = (await (await gw.fetch("/health")).json()) as any;
    expect(health.healthy_endpoints.map((e: any) => e.model_name)).toEqual(["good"]);
    expect(health.unhealthy_endpoints.map((e: any) => e.model_name)).toEqual(["naked"]);
    expect(JSON.stringify(health)).not.toContain(ACCESS_SECRET);
  });
});

describe("Ollama through a Workers VPC service binding (no public hostname)", () => {
  /** Stands in for env.OLLAMA (a Fetcher): records the calls and forwards them to the Ollama mock. */
  function fakeVpcBinding() {
    const seen: { url: string; method: string }[] = [];
    const binding = {
      async fetch(input: string, init?: RequestInit) {
        seen.push({ url: input, method: init?.method ?? "GET" });
        const url = new URL(input);
        return fetch(`${MOCK_URL}${url.pathname}`, init);
      },
    };
    return { binding, seen };
  }

  it("calls env.<vpc_binding>.fetch with the api_base URL instead of the global fetch", async () => {
    const { binding, seen } = fakeVpcBinding();
    const gw = await testGateway(
      { model_list: [{ model_name: "llama", litellm_params: { model: "ollama_chat/llama3.2", api_base: "http://ollama.internal:11434", vpc_binding: "OLLAMA" } }] },
      { OLLAMA: binding },
    );
    const res = await gw.post("/v1/chat/completions", { model: "llama", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("Hello from the mock.");
    expect(seen).toEqual([{ url: "http://ollama.internal:11434/api/chat", method: "POST" }]);
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", stream: true, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    expect(seen).toHaveLength(2);
  });

  it("says the binding is missing from wrangler.toml when it is", async () => {
    const gw = await testGateway({ model_list: [{ model_name: "llama", litellm_params: { model: "ollama_chat/llama3.2", api_base: "http://ollama.internal:11434", vpc_binding: "OLLAMA" } }] });
    const res = await gw.post("/v1/chat/completions", { model: "llama", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("binding 'OLLAMA'");
  });
});
