// `npx tsx bench/bundle.ts <outdir> [config.yaml]`: the gateway bundle a deploy would upload, built
// with the given config (default bench/configs/gateway.yaml), for `bench/ab.ts` before/after comparisons.
import { resolve } from "node:path";
import { buildGatewayBundle } from "./workerd";

const [outDir, config = "bench/configs/gateway.yaml"] = process.argv.slice(2);
if (!outDir) throw new Error("usage: npx tsx bench/bundle.ts <outdir> [config.yaml]");
const bundle = buildGatewayBundle(config, resolve(outDir));
console.log(`${bundle.path}: ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzip${bundle.warnings.length ? `; warnings: ${bundle.warnings.join("; ")}` : ""}`);
