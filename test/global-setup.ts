// Starts the mock upstream for the whole run and compiles the default config (the Worker entry bundles it).
import type { TestProject } from "vitest/node";
import { buildConfig } from "../scripts/build-config";
import { MCP_ALPHA_TOKEN } from "./mocks/credentials";
import { startAlpha } from "./mocks/mcp-servers";
import { startMockUpstream } from "./mocks/upstream";

declare module "vitest" {
  export interface ProvidedContext {
    mockUrl: string;
    /** A real MCP server (Streamable HTTP, wants MCP_ALPHA_TOKEN) for the worker tests of /mcp. */
    mcpAlphaUrl: string;
  }
}

export default async function setup(project: TestProject) {
  await buildConfig(new URL("../config.yaml", import.meta.url).pathname);
  const [mock, alpha] = await Promise.all([startMockUpstream(), startAlpha(MCP_ALPHA_TOKEN)]);
  project.provide("mockUrl", mock.url);
  project.provide("mcpAlphaUrl", alpha.url);
  return async () => {
    await Promise.all([mock.close(), alpha.close()]);
  };
}
