-- Models added at runtime (LiteLLM's store_model_in_db: /model/new, /model/update, /model/delete), merged with
-- config.yaml's model_list by every isolate (src/config/live-runtime.ts). Credentials in litellm_params are
-- AES-GCM sealed with a key derived from the LITELLM_SALT_KEY secret (src/config/stored-models.ts).
CREATE TABLE `stored_models` (
	`model_id` text PRIMARY KEY NOT NULL,
	`model_name` text NOT NULL,
	`litellm_params` text NOT NULL,
	`model_info` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
-- One row: bumped in the same batch as every change, so isolates poll one number rather than the table.
CREATE TABLE `stored_models_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `stored_models_version` (`id`, `version`, `updated_at`) VALUES (1, 0, 0);
