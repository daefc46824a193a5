// Hono's SmartRouter keeps its one-regex RegExpRouter only if every route suits it; one that does not
// (a `/key/:key/...` next to `/key/info`) switches every request, LLM calls included, to the TrieRouter.
import { describe, expect, it } from "vitest";
import { testGateway } from "./helpers";

describe("routing", () => {
  it("keeps the gateway's routes on Hono's RegExpRouter", async () => {
    const gw = await testGateway({ model_list: [{ model_name: "m", litellm_params: { model: "openai/m", mock_response: "hi" } }] });
    expect((await gw.post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "x" }] })).status).toBe(200);
    expect((gw.app.router as unknown as { activeRouter?: { name: string } }).activeRouter?.name).toBe("RegExpRouter");
  });

  it("still serves POST /key/{key}/regenerate, and 404s other /key/ paths", async () => {
    const gw = await testGateway({ model_list: [] });
    const created = (await (await gw.post("/key/generate", {})).json()) as { key: string };
    const res = await gw.post(`/key/${created.key}/regenerate`, {});
    expect(res.status).toBe(200);
    expect(((await res.json()) as { key: string }).key).toMatch(/^sk-/);
    const missing = await gw.post("/key/nothing-here", {});
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.message).toBe("Route not found: POST /key/nothing-here");
    expect(gw.app.router.name).toContain("SmartRouter");
  });
});
