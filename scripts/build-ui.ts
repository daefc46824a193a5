// Builds the admin UI (ui/) into build/public/, the Worker's static assets directory ([assets] in
// wrangler.toml): ui/index.html, ui/static/app-<hash>.js and .css (Preact + uPlot, bundled and
// minified by esbuild), and _headers (the Content-Security-Policy and cache rules the platform
// applies to those files). Runs in wrangler's [build] step (npm start, wrangler dev and deploy) and
// in `npm test`. `--report` prints the sizes, gzipped.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { UI_SECURITY_HEADERS } from "../src/ui/security-headers";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PUBLIC_DIR = resolve(ROOT, "build/public");
const STATIC_DIR = resolve(PUBLIC_DIR, "ui/static");

export interface UiBuild {
  /** Bytes of each built file, raw and gzipped, by path under build/public. */
  files: { path: string; bytes: number; gzipBytes: number }[];
}

export async function buildUi(): Promise<UiBuild> {
  rmSync(PUBLIC_DIR, { recursive: true, force: true });
  mkdirSync(STATIC_DIR, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: "ui/src/main.tsx" },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: STATIC_DIR,
    entryNames: "[name]-[hash]",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(ROOT, p));
  const js = outputs.find((p) => p.endsWith(".js"));
  const css = outputs.find((p) => p.endsWith(".css"));
  if (!js || !css) throw new Error(`esbuild made no ${js ? "CSS" : "JS"} file`);

  const html = readFileSync(resolve(ROOT, "ui/index.html"), "utf8").replace("%APP_JS%", `static/${basename(js)}`).replace("%APP_CSS%", `static/${basename(css)}`);
  writeFileSync(resolve(PUBLIC_DIR, "ui/index.html"), html);
  cpSync(resolve(ROOT, "ui/favicon.svg"), resolve(PUBLIC_DIR, "ui/favicon.svg"));

  // Every /ui file gets the security headers; the hashed bundles are cached for good.
  const headerLines = Object.entries(UI_SECURITY_HEADERS).map(([k, v]) => `  ${k}: ${v}`);
  writeFileSync(
    resolve(PUBLIC_DIR, "_headers"),
    ["/ui", ...headerLines, "/ui/*", ...headerLines, "/ui/static/*", "  Cache-Control: public, max-age=31536000, immutable", ""].join("\n"),
  );

  return {
    files: [js, css, resolve(PUBLIC_DIR, "ui/index.html")].map((p) => {
      const bytes = readFileSync(p);
      return { path: p.slice(PUBLIC_DIR.length + 1), bytes: bytes.byteLength, gzipBytes: gzipSync(bytes).byteLength };
    }),
  };
}

export function describeBuild(b: UiBuild): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const total = b.files.reduce((s, f) => s + f.gzipBytes, 0);
  return [...b.files.map((f) => `  ${f.path}: ${kib(f.bytes)}, ${kib(f.gzipBytes)} gzipped`), `  total: ${kib(total)} gzipped`].join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildUi();
  if (process.argv.includes("--report") || !process.env.GATEWAY_BUILD_QUIET) console.log(`[gateway] admin UI -> build/public/ui\n${describeBuild(built)}`);
}
