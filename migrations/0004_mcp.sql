-- MCP gateway (issue #21): servers added at runtime (/v1/mcp/server), and LiteLLM's object_permission
-- (allowed MCP servers and tools) on keys and teams. Written by hand; src/schema/db.ts matches it.
CREATE TABLE `mcp_servers` (
	`server_id` text PRIMARY KEY NOT NULL,
	`server_name` text NOT NULL,
	`alias` text,
	`description` text,
	`url` text NOT NULL,
	`transport` text NOT NULL,
	`auth_type` text,
	`credentials` text,
	`allowed_tools` text,
	`disallowed_tools` text,
	`mcp_access_groups` text,
	`extra_headers` text,
	`mcp_info` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mcp_servers_server_name_unique` ON `mcp_servers` (`server_name`);--> statement-breakpoint
ALTER TABLE `keys` ADD `object_permission` text;--> statement-breakpoint
ALTER TABLE `teams` ADD `object_permission` text;
