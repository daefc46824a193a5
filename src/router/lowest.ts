// The candidate with the lowest score, ties broken at random (one pass, no allocation).
// Shared by least-busy, usage-based-routing-v2 and cost-based-routing.
export function lowest<T>(candidates: readonly T[], score: (c: T) => number, random = Math.random): T | undefined {
  let best: T | undefined;
  let bestScore = Infinity;
  let ties = 0;
  for (const c of candidates) {
    const s = score(c);
    if (best === undefined || s < bestScore) {
      best = c;
      bestScore = s;
      ties = 1;
    } else if (s === bestScore && random() * ++ties < 1) {
      best = c; // reservoir sampling: each of the tied candidates ends up chosen with equal chance
    }
  }
  return best;
}
