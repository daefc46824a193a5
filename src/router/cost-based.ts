// cost-based-routing: the cheapest deployment first, by input + output price per token
// (litellm_params, else model_info). A deployment without a known price comes last.
import type { Deployment } from "../core/provider";
import { lowest } from "./lowest";

export function pricePerToken(d: Deployment): number {
  const input = d.params.input_cost_per_token ?? d.info.input_cost_per_token;
  const output = d.params.output_cost_per_token ?? d.info.output_cost_per_token;
  return input === undefined && output === undefined ? Infinity : (input ?? 0) + (output ?? 0);
}

export function cheapest(candidates: readonly Deployment[], random = Math.random): Deployment | undefined {
  return lowest(candidates, pricePerToken, random);
}
