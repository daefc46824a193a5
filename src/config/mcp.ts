// Build-time checks of `mcp_servers:`. A stdio server (a `command`) cannot run on Workers: it gets one
// start-up warning line naming it and is left out, never a refusal (the rest of the config still works).
import { MCP_SERVER_NAME, MCP_SERVER_NAME_RULE, mcpServerConfigSchema } from "../schema/mcp";
import type { ParsedConfig } from "../schema/config";

const KNOWN_KEYS = new Set(Object.keys(mcpServerConfigSchema.shape));

export function checkMcpServers(config: ParsedConfig): { issues: string[]; warnings: string[] } {
  const issues: string[] = [];
  const warnings: string[] = [];
  const stdio: string[] = [];
  for (const [name, server] of Object.entries(config.mcp_servers ?? {})) {
    if (!MCP_SERVER_NAME.test(name)) issues.push(`mcp_servers.${name}: ${MCP_SERVER_NAME_RULE}`);
    if (server.transport === "stdio" || (server.command !== undefined && server.url === undefined)) {
      stdio.push(name);
      continue;
    }
    if (!server.url) issues.push(`mcp_servers.${name}.url: required for transport '${server.transport ?? "http"}' (or give a stdio 'command', which Workers cannot run)`);
    else if (!/^(https?:\/\/|os\.environ\/)/.test(server.url)) issues.push(`mcp_servers.${name}.url: expected an http(s) URL, got '${server.url}'`);
    const unknown = Object.keys(server).filter((k) => !KNOWN_KEYS.has(k));
    if (unknown.length) warnings.push(`mcp_servers.${name}: keys not supported (ignored): ${unknown.join(", ")}`);
  }
  for (const name of stdio) {
    warnings.push(
      `mcp_servers.${name}: stdio servers (a local 'command') cannot run on Cloudflare Workers (a Worker cannot start processes) and are left out; ` +
        `run it behind an HTTP bridge (e.g. npx supergateway) and give its 'url' with transport 'sse' or 'http'`,
    );
  }
  return { issues, warnings };
}
