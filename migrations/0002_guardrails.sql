-- Guardrails a key or team requires on every call (LiteLLM's key/team `guardrails` field): a JSON list of guardrail names.
ALTER TABLE `keys` ADD `guardrails` text DEFAULT '[]' NOT NULL;
--> statement-breakpoint
ALTER TABLE `teams` ADD `guardrails` text DEFAULT '[]' NOT NULL;
