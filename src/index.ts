// The Worker: the gateway built from the config that scripts/build-config.ts compiled from
// config.yaml at build time (wrangler's [build] step), plus the Durable Object classes.
import compiled from "../build/config.json";
import { createGateway } from "./http/app";
import type { CompiledConfig } from "./config/compile";

const app = createGateway(compiled as unknown as CompiledConfig);

export default app satisfies ExportedHandler<import("./env").Env>;

export { KeyGuard } from "./limits/guard/key-guard";
export { RouterState } from "./router/router-state";
export { McpSession } from "./mcp/session-object";
export { SemanticCacheIndex } from "./cache/semantic/index-object";
