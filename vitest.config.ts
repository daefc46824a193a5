import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Unit and integration tests inside workerd, with real local D1, KV and Durable Objects.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { MOCK_URL: inject("mockUrl") } },
          })),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], globalSetup: ["./test/global-setup.ts"] },
      },
      {
        // End-to-end tests in Node: `npm start` as a user runs it, the official SDKs, the deploy bundle.
        test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 180_000, globalSetup: ["./test/global-setup.ts"] },
      },
    ],
  },
});
