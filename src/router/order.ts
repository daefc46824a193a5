// Priority tiers (litellm_params.order, or the guides' `priority`): lower order is preferred while any of its deployments is
// usable; deployments without an order form the last tier (as in LiteLLM, where they are only
// picked when no ordered deployment is healthy). Built once per model group.
import type { Deployment } from "../core/provider";

const orderOf = (d: Deployment) => d.params.order ?? d.params.priority;

export function tiersByOrder(deployments: readonly Deployment[]): readonly (readonly Deployment[])[] {
  if (!deployments.some((d) => orderOf(d) !== undefined)) return [deployments];
  const byOrder = new Map<number, Deployment[]>();
  for (const d of deployments) {
    const order = orderOf(d) ?? Infinity;
    byOrder.set(order, [...(byOrder.get(order) ?? []), d]);
  }
  return [...byOrder.entries()].sort(([a], [b]) => a - b).map(([, tier]) => tier);
}
