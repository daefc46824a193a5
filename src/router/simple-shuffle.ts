// LiteLLM's default strategy: weighted random by `weight`, else by `rpm`, else by `tpm`, else uniform.
import type { Deployment } from "../core/provider";

function weightOf(d: Deployment, by: "weight" | "rpm" | "tpm"): number {
  return d.params[by] ?? 0;
}

/** The weight field the whole group uses: the first of weight/rpm/tpm that any deployment sets. */
function weightField(deployments: readonly Deployment[]): "weight" | "rpm" | "tpm" | undefined {
  for (const field of ["weight", "rpm", "tpm"] as const) if (deployments.some((d) => d.params[field] !== undefined)) return field;
  return undefined;
}

// Cumulative weights per candidate list, computed once per list (groups' lists are long-lived).
const cumulative = new WeakMap<readonly Deployment[], Float64Array>();

function cumulativeWeights(deployments: readonly Deployment[]): Float64Array {
  let sums = cumulative.get(deployments);
  if (!sums) {
    const field = weightField(deployments);
    sums = new Float64Array(deployments.length);
    let total = 0;
    deployments.forEach((d, i) => (sums![i] = total += field ? weightOf(d, field) : 1));
    cumulative.set(deployments, sums);
  }
  return sums;
}

export function simpleShuffle(deployments: readonly Deployment[], random = Math.random): Deployment {
  if (deployments.length === 1) return deployments[0];
  const sums = cumulativeWeights(deployments);
  const total = sums[sums.length - 1];
  if (!(total > 0)) return deployments[Math.floor(random() * deployments.length)];
  const r = random() * total;
  for (let i = 0; i < sums.length; i++) if (r < sums[i]) return deployments[i];
  return deployments[deployments.length - 1];
}
