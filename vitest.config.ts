import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The gateway's JSON line per LLM call (src/observability/log-line.ts): thousands over the suite.
    onConsoleLog: (log) => !log.includes('{"message":"llm call"'),
    projects: [
      {
        // Unit and integration tests inside workerd, with real local D1, KV and Durable Objects.
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // TEST_MIGRATIONS: applied to D1 by test/worker/setup.ts. ALLOW_TEST_CLOCK: lets tests move KeyGuard clocks.
              // MCP_ALPHA_URL: a real MCP server (test/mocks/mcp-servers.ts) for test/worker/mcp.test.ts.
              bindings: { MOCK_URL: inject("mockUrl"), MCP_ALPHA_URL: inject("mcpAlphaUrl"), TEST_MIGRATIONS: await readD1Migrations("./migrations"), ALLOW_TEST_CLOCK: "1" },
              // The r2 logging callback's bucket (test/worker/observability-callbacks.test.ts).
              r2Buckets: ["CALLBACK_LOGS"],
            },
          })),
        ],
        // 20 s: the lease and retry tests take ~3 s here and went past vitest's default 5 s on a host running at half speed.
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], testTimeout: 20_000, globalSetup: ["./test/global-setup.ts"], setupFiles: ["./test/worker/setup.ts"] },
      },
      {
        // End-to-end tests in Node: `npm start` as a user runs it, the official SDKs, the deploy bundle.
        test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 180_000, globalSetup: ["./test/global-setup.ts"] },
      },
    ],
  },
});
