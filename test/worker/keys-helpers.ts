// Helpers for the keys / limits / spend tests: a priced mock deployment, key creation, chat calls,
// and direct access to a key's KeyGuard (flush now, move its clock).
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../../src/env";
import { guardFor } from "../../src/core/guard-rpc";
import { dropLease } from "../../src/limits/lease";
import { MOCK_URL, type TestGateway } from "./helpers";

export const testEnv = env as unknown as Env;

/** Prices that are exact binary fractions, so sums of costs are exact too. */
export const INPUT_PRICE = 2 ** -20;
export const OUTPUT_PRICE = 2 ** -18;

/** "Hello there, friend!" = 20 characters = 5 completion tokens (the mock's estimate). */
export const MOCK_TEXT = "Hello there, friend!";
export const MOCK_COMPLETION_TOKENS = 5;

/** A mock_response deployment with known prices: usage is the gateway's own estimate, so costs are predictable. */
export const pricedMock = (name: string, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `openai/${name}`, mock_response: MOCK_TEXT, input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE, ...extra },
});

/** Cost of one chat call with a single user message `content` on pricedMock (max_tokens >= 5). */
export function mockCallCost(content: string): number {
  const prompt = 4 + Math.ceil(content.length / 4);
  return prompt * INPUT_PRICE + MOCK_COMPLETION_TOKENS * OUTPUT_PRICE;
}

export const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export interface GeneratedKey {
  key: string;
  token: string;
  key_name: string;
  [field: string]: unknown;
}

export async function newKey(gw: TestGateway, fields: Record<string, unknown> = {}): Promise<GeneratedKey> {
  const res = await gw.post("/key/generate", fields);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

export function chat(gw: TestGateway, key: string, model: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return gw.post("/v1/chat/completions", { model, max_tokens: MOCK_COMPLETION_TOKENS, messages: [{ role: "user", content: "hi" }], ...extra }, key);
}

export const keyGuard = (token: string) => guardFor(testEnv, { kind: "key", token });

/**
 * Moves the key guard's clock forward. This isolate's lease for the key (if any) runs on the real
 * clock, so it is dropped: the next call asks the guard, as it would once the time had really passed.
 */
export async function advanceGuardClock(token: string, ms: number): Promise<void> {
  await keyGuard(token).advanceClock(ms);
  dropLease(testEnv, token);
}

/** Writes everything the key's guard (and its team's / user's) holds to D1 now. */
export async function flushKey(token: string, scopes: { team?: string; user?: string } = {}): Promise<void> {
  await flushAll(keyGuard(token));
  if (scopes.team) await flushAll(guardFor(testEnv, { kind: "team", id: scopes.team }));
  if (scopes.user) await flushAll(guardFor(testEnv, { kind: "user", id: scopes.user }));
}

/** A flush writes at most one batch (200 rows): flush until nothing is pending. */
async function flushAll(guard: ReturnType<typeof keyGuard>): Promise<void> {
  let pending = await guard.flushNow();
  for (let i = 0; pending > 0 && i < 100; i++) pending = await guard.flushNow();
  expect(pending).toBe(0);
}

export async function json<T = any>(res: Response | Promise<Response>): Promise<T> {
  return (await res).json() as Promise<T>;
}

export { MOCK_URL };
