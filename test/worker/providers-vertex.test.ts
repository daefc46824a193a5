// vertex_ai/ deployments: a service account's JWT (RS256, WebCrypto) exchanged for an access token at
// its token_uri (the mock verifies the signature with the key's public half), the token reused per
// isolate, Gemini models at generateContent, Claude at rawPredict with anthropic_version vertex-2023-10-16.
import { describe, expect, it } from "vitest";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

/** A service account key JSON from the mock (its own key pair), for an account name of the test's. */
async function serviceAccount(email: string): Promise<string> {
  return (await fetch(`${MOCK_URL}/vertex/__service_account?email=${encodeURIComponent(email)}`)).text();
}
const exchanges = async (email: string) => ((await (await fetch(`${MOCK_URL}/vertex/__exchanges?email=${encodeURIComponent(email)}`)).json()) as { exchanges: number }).exchanges;

const vertexModel = (name: string, model: string, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `vertex_ai/${model}`, api_base: `${MOCK_URL}/vertex`, vertex_credentials: "os.environ/VERTEX_SA", vertex_project: "proj-1", vertex_location: "europe-west4", ...extra },
});
const email = () => `gw-${crypto.randomUUID().slice(0, 8)}@mock-project.iam.gserviceaccount.com`;
const weatherTool = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

describe("vertex_ai: service account auth", () => {
  it("signs a JWT, gets a token, calls Gemini on Vertex with it, and reuses the token", async () => {
    const account = email();
    const gw = await testGateway({ model_list: [vertexModel("vx-flash", "gemini-2.5-flash")] }, { VERTEX_SA: await serviceAccount(account) });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "vx-flash", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: marker }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("Hello from the mock.");
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/vertex/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent");
    expect(seen.headers.authorization).toMatch(/^Bearer ya29\.mock-/);
    expect(JSON.parse(seen.body)).toMatchObject({ systemInstruction: { parts: [{ text: "Be brief." }] }, contents: [{ role: "user", parts: [{ text: marker }] }] });

    // Five more calls, some at once: still the one token.
    await Promise.all([1, 2, 3, 4, 5].map(() => gw.post("/v1/chat/completions", { model: "vx-flash", messages: [{ role: "user", content: "again" }] })));
    expect(await exchanges(account)).toBe(1);
  });

  it("gets a new token when the cached one is about to expire", async () => {
    const account = `short-${email()}`;
    const gw = await testGateway({ model_list: [vertexModel("vx-flash", "gemini-2.5-flash")] }, { VERTEX_SA: await serviceAccount(account) });
    for (let i = 0; i < 2; i++) expect((await gw.post("/v1/chat/completions", { model: "vx-flash", messages: [{ role: "user", content: "x" }] })).status).toBe(200);
    expect(await exchanges(account)).toBe(2);
  });

  it("streams Gemini on Vertex (streamGenerateContent?alt=sse) and embeds with :predict", async () => {
    const gw = await testGateway(
      { model_list: [vertexModel("vx-flash", "gemini-2.5-flash"), { ...vertexModel("vx-embed", "text-embedding-005"), model_info: { mode: "embedding" } }] },
      { VERTEX_SA: await serviceAccount(email()) },
    );
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "vx-flash", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    expect(chunks.at(-2).usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5 });
    const marker = `m-${crypto.randomUUID()}`;
    const emb = (await (await gw.post("/v1/embeddings", { model: "vx-embed", input: [marker, "two words"], dimensions: 2 })).json()) as any;
    expect(emb.data.map((d: any) => d.embedding)).toEqual([[0.5, 1], [1.5, 2]]);
    expect(emb.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/vertex/v1/projects/proj-1/locations/europe-west4/publishers/google/models/text-embedding-005:predict");
    expect(JSON.parse(seen.body)).toEqual({ instances: [{ content: marker }, { content: "two words" }], parameters: { outputDimensionality: 2 } });
  });

  it("fails clearly when the token endpoint refuses the JWT (a key the account does not have), without calling the model", async () => {
    const sa = JSON.parse(await serviceAccount(email()));
    const other = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", other.privateKey)) as ArrayBuffer);
    sa.private_key = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END PRIVATE KEY-----\n`;
    const gw = await testGateway({ model_list: [vertexModel("vx", "gemini-2.5-flash")], router_settings: { num_retries: 0 } }, { VERTEX_SA: JSON.stringify(sa) });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "vx", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(401);
    const error = ((await res.json()) as any).error;
    expect(error.message).toContain(`could not get an access token for ${sa.client_email}: Invalid JWT Signature.`);
    expect(JSON.stringify(error)).not.toContain("PRIVATE KEY");
    expect(await upstreamRequests(marker)).toHaveLength(0);
  });

  it("says what to do when vertex_credentials is a file path or missing", async () => {
    const gw = await testGateway({
      model_list: [vertexModel("path", "gemini-2.5-flash", { vertex_credentials: "/home/me/sa.json" }), vertexModel("none", "gemini-2.5-flash", { vertex_credentials: undefined })],
      router_settings: { num_retries: 0 },
    });
    const path = ((await (await gw.post("/v1/chat/completions", { model: "path", messages: [{ role: "user", content: "x" }] })).json()) as any).error;
    expect(path.message).toContain("looks like a file path; a Worker cannot read files");
    const none = ((await (await gw.post("/v1/chat/completions", { model: "none", messages: [{ role: "user", content: "x" }] })).json()) as any).error;
    expect(none.message).toContain("needs litellm_params.vertex_credentials");
  });
});

describe("vertex_ai: Claude (Anthropic on Vertex)", () => {
  it("sends Anthropic's body without model, with anthropic_version vertex-2023-10-16, to :rawPredict", async () => {
    const gw = await testGateway({ model_list: [vertexModel("vx-claude", "claude-sonnet-4-5@20250929", { vertex_location: "global" })] }, { VERTEX_SA: await serviceAccount(email()) });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "vx-claude", max_tokens: 300, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: marker }] });
    expect(res.status).toBe(200);
    const out = (await res.json()) as any;
    expect(out.choices[0]).toMatchObject({ message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" });
    expect(out.usage).toMatchObject({ prompt_tokens: 17, completion_tokens: 6 });
    // Priced as claude-sonnet-4-5 (Vertex's @version suffix dropped for the price table).
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/vertex/v1/projects/proj-1/locations/global/publishers/anthropic/models/claude-sonnet-4-5%4020250929:rawPredict");
    const body = JSON.parse(seen.body);
    expect(body).toMatchObject({ anthropic_version: "vertex-2023-10-16", max_tokens: 300, system: [{ type: "text", text: "Be brief." }] });
    expect(body).not.toHaveProperty("model");
  });

  it("streams tool calls from :streamRawPredict", async () => {
    const gw = await testGateway({ model_list: [vertexModel("vx-claude", "claude-opus-4-1")] }, { VERTEX_SA: await serviceAccount(email()) });
    const marker = `m-${crypto.randomUUID()}`;
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "vx-claude", stream: true, tools: [weatherTool], messages: [{ role: "user", content: marker }] }))) as any[];
    const args = chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []).map((t: any) => t.function?.arguments ?? "").join("");
    expect(JSON.parse(args)).toEqual({ city: "Paris" });
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
    expect((await upstreamRequests(marker))[0].path).toMatch(/publishers\/anthropic\/models\/claude-opus-4-1:streamRawPredict$/);
  });

  it("serves Anthropic-format clients (/v1/messages) through Vertex, body passed through", async () => {
    const gw = await testGateway({ model_list: [vertexModel("vx-claude", "claude-sonnet-4-5")] }, { VERTEX_SA: await serviceAccount(email()) });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/messages", { model: "vx-claude", max_tokens: 100, messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).content[0]).toEqual({ type: "text", text: "Hello from the mock." });
    expect(JSON.parse((await upstreamRequests(marker))[0].body)).toEqual({ anthropic_version: "vertex-2023-10-16", max_tokens: 100, messages: [{ role: "user", content: marker }] });
  });
});
