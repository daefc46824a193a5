// Which guardrails run: default_on, per request (body or metadata), per key, per team.
import { describe, expect, it } from "vitest";
import { chat, engineFor, guard, rejection } from "./guardrails-helpers";

const engine = engineFor({
  guardrails: [
    guard("always", { guardrail: "litellm_content_filter", mode: "pre_call", blocked_words: [{ keyword: "alpha", action: "BLOCK" }] }),
    guard("on-request", { guardrail: "litellm_content_filter", mode: "pre_call", default_on: false, blocked_words: [{ keyword: "bravo", action: "BLOCK" }] }),
    guard("for-team", { guardrail: "litellm_content_filter", mode: "pre_call", default_on: false, blocked_words: [{ keyword: "charlie", action: "BLOCK" }] }),
  ],
});

const applied = (body: Record<string, unknown>, principal = {}) => engine.forCall(body, principal)?.applied;

describe("guardrail selection", () => {
  it("runs default_on guardrails on every call, others only when asked", async () => {
    expect(applied(chat("hi"))).toEqual(["always"]);
    await expect(engine.forCall(chat("alpha"))!.preCall(chat("alpha"))).rejects.toThrow("'always'");
    await expect(engine.forCall(chat("bravo"))!.preCall(chat("bravo"))).resolves.toBeDefined();
  });

  it("adds the guardrails a request names, in the body or in metadata, list or map form", async () => {
    expect(applied({ ...chat("x"), guardrails: ["on-request"] })).toEqual(["always", "on-request"]);
    expect(applied({ ...chat("x"), metadata: { guardrails: ["for-team"] } })).toEqual(["always", "for-team"]);
    expect(applied({ ...chat("x"), guardrails: { "on-request": { extra_body: { threshold: 0.9 } } } })).toEqual(["always", "on-request"]);
    expect(applied({ ...chat("x"), guardrails: [{ "on-request": { extra_body: {} } }] })).toEqual(["always", "on-request"]);
    const body = { ...chat("bravo"), guardrails: ["on-request"] };
    await expect(engine.forCall(body)!.preCall(body)).rejects.toThrow("'on-request'");
  });

  it("adds the key's and the team's guardrails", () => {
    expect(applied(chat("x"), { key: ["on-request"] })).toEqual(["always", "on-request"]);
    expect(applied(chat("x"), { team: ["for-team"] })).toEqual(["always", "for-team"]);
    expect(applied(chat("x"), { key: ["on-request"], team: ["for-team"] })).toEqual(["always", "on-request", "for-team"]);
  });

  it("refuses unknown names (400) and switching off a required guardrail (403)", async () => {
    const unknown = await rejection(() => engine.forCall({ ...chat("x"), guardrails: ["nope"] }));
    expect(unknown.status).toBe(400);
    expect(unknown.toBody().error).toEqual({ message: "Unknown guardrail 'nope'. Configured guardrails: always, on-request, for-team", type: "invalid_request_error", param: "guardrails", code: "400" });
    const badShape = await rejection(() => engine.forCall({ ...chat("x"), guardrails: "always" }));
    expect(badShape.status).toBe(400);
    const off = await rejection(() => engine.forCall({ ...chat("x"), metadata: { guardrails: { always: false } } }));
    expect(off.status).toBe(403);
    expect(off.message).toBe("Guardrail 'always' is required for this call and cannot be turned off per request");
    const keyOff = await rejection(() => engine.forCall({ ...chat("x"), guardrails: { "for-team": false } }, { team: ["for-team"] }));
    expect(keyOff.status).toBe(403);
    expect(applied({ ...chat("x"), guardrails: { "on-request": false } })).toEqual(["always"]);
    const missing = await rejection(() => engine.forCall(chat("x"), { key: ["deleted-guard"] }));
    expect(missing.status).toBe(400);
  });

  it("has nothing to do when no guardrail is configured or selected", () => {
    const none = engineFor({});
    expect(none.forCall(chat("x"))).toBeUndefined();
    expect(none.list()).toEqual({ guardrails: [] });
    expect(engineFor({ guardrails: [guard("g", { guardrail: "hide-secrets", mode: "pre_call", default_on: false })] }).forCall(chat("x"))).toBeUndefined();
  });
});
