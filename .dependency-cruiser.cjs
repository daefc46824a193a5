// The import rules of src/ (README "Architecture"): http -> domain -> core -> schema, one direction.
// `npm test` runs `depcruise src` first; a cycle or an upward import fails the run.
const DOMAIN_FOLDERS = ["providers", "config", "router", "keys", "spend", "limits", "cache", "guardrails", "observability", "mcp", "realtime", "metering", "ui", "responses", "batches"];
const DOMAIN = `(${DOMAIN_FOLDERS.join("|")})`;
// Edges between domain folders that the layout allows; any other goes through core/.
const ALLOWED_DOMAIN_EDGES = [
  ["router", "providers"],
  // config compiles (build time) and builds (per isolate) every part of the config, the guardrails' included.
  ["config", "providers|guardrails"],
  ["limits", "keys|spend"],
  ["cache|guardrails|observability|ui", "spend"],
  // The admin UI's views read the running gateway: deployments' public params and cooldowns.
  ["ui", "config|router"],
  // MCP tool calls and Realtime sessions are admitted and logged by metering/, which uses the limits layer.
  ["mcp|realtime", "metering|spend"],
  ["metering", "limits|keys|spend"],
];
const allowedFrom = (folder) => ALLOWED_DOMAIN_EDGES.filter(([from]) => from.split("|").includes(folder)).flatMap(([, to]) => to.split("|"));

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", comment: "No import cycles, type-only imports included.", from: {}, to: { circular: true } },
    {
      name: "leaves-stay-leaves",
      severity: "error",
      comment: "lib/ and errors.ts import nothing of the project but each other; env.ts nothing at all.",
      from: { path: "^src/(lib/|errors\\.ts|env\\.ts)" },
      to: { path: "^src/", pathNot: "^src/(lib/|errors\\.ts)" },
    },
    {
      name: "schema-is-the-bottom",
      severity: "error",
      comment: "schema/ holds zod and drizzle definitions only.",
      from: { path: "^src/schema/" },
      to: { path: "^src/", pathNot: "^src/(schema/|lib/|errors\\.ts)" },
    },
    {
      name: "core-is-types-and-pure-helpers",
      severity: "error",
      comment: "core/ may import only core/, schema/, lib/, errors.ts, env.ts.",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/(core/|schema/|lib/|errors\\.ts|env\\.ts)" },
    },
    {
      name: "domain-never-imports-http",
      severity: "error",
      comment: "Hono's Context lives in http/ only.",
      from: { path: `^src/${DOMAIN}/` },
      to: { path: "^src/(http/|index\\.ts)" },
    },
    // One rule per domain folder: it may import the domain folders ALLOWED_DOMAIN_EDGES lists for it, no other.
    ...DOMAIN_FOLDERS.map((folder) => ({
      name: `domain-edges-from-${folder}`,
      severity: "error",
      comment: "Between domain folders only the edges listed in ALLOWED_DOMAIN_EDGES; anything else goes through core/.",
      from: { path: `^src/${folder}/` },
      to: { path: `^src/${DOMAIN}/`, pathNot: `^src/(${[folder, ...allowedFrom(folder)].join("|")})/` },
    })),
    {
      name: "durable-objects-from-the-entry-only",
      severity: "error",
      comment: "Durable Object classes are imported (at run time) only by src/index.ts; stubs are typed by their RPC interfaces.",
      from: { path: "^src/", pathNot: "^src/index\\.ts$" },
      to: { path: "^src/(limits/guard/key-guard|router/router-state|mcp/session-object|cache/semantic/index-object|observability/hub)\\.ts$" },
    },
    {
      name: "no-hono-outside-http",
      severity: "error",
      comment: "Hono (and its Context) is the HTTP layer's.",
      from: { path: "^src/", pathNot: "^src/(http/|index\\.ts)" },
      to: { path: "(^|/)node_modules/hono/|^hono($|/)" },
    },
  ],
  options: {
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.json$" },
  },
};
