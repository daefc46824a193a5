CREATE TABLE `daily_spend` (
	`date` text NOT NULL,
	`api_key` text NOT NULL,
	`model_group` text NOT NULL,
	`team_id` text DEFAULT '' NOT NULL,
	`spend` real DEFAULT 0 NOT NULL,
	`prompt_tokens` integer DEFAULT 0 NOT NULL,
	`completion_tokens` integer DEFAULT 0 NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`unpriced_requests` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`date`, `api_key`, `model_group`, `team_id`)
);
--> statement-breakpoint
CREATE INDEX `daily_spend_team_idx` ON `daily_spend` (`team_id`,`date`);--> statement-breakpoint
CREATE TABLE `keys` (
	`token` text PRIMARY KEY NOT NULL,
	`key_name` text NOT NULL,
	`key_alias` text,
	`user_id` text,
	`team_id` text,
	`models` text DEFAULT '[]' NOT NULL,
	`max_budget` real,
	`spend` real DEFAULT 0 NOT NULL,
	`budget_duration` text,
	`budget_reset_at` integer,
	`rpm_limit` integer,
	`tpm_limit` integer,
	`max_parallel_requests` integer,
	`soft_budget` real,
	`model_max_budget` text,
	`model_rpm_limit` text,
	`model_tpm_limit` text,
	`model_spend` text,
	`expires` integer,
	`blocked` integer DEFAULT false NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `keys_key_alias_unique` ON `keys` (`key_alias`);--> statement-breakpoint
CREATE INDEX `keys_user_idx` ON `keys` (`user_id`);--> statement-breakpoint
CREATE INDEX `keys_team_idx` ON `keys` (`team_id`);--> statement-breakpoint
CREATE TABLE `spend_flushes` (
	`scope` text PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `spend_logs` (
	`request_id` text PRIMARY KEY NOT NULL,
	`api_key` text NOT NULL,
	`user` text,
	`team_id` text,
	`end_user` text,
	`model` text NOT NULL,
	`model_group` text NOT NULL,
	`model_id` text,
	`custom_llm_provider` text,
	`api_base` text,
	`call_type` text NOT NULL,
	`prompt_tokens` integer DEFAULT 0 NOT NULL,
	`completion_tokens` integer DEFAULT 0 NOT NULL,
	`cached_tokens` integer DEFAULT 0 NOT NULL,
	`total_tokens` integer DEFAULT 0 NOT NULL,
	`spend` real DEFAULT 0 NOT NULL,
	`cache_hit` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`start_time` integer NOT NULL,
	`end_time` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`request_tags` text DEFAULT '[]' NOT NULL,
	`messages` text,
	`response` text,
	`metadata` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `spend_logs_start_idx` ON `spend_logs` (`start_time`);--> statement-breakpoint
CREATE INDEX `spend_logs_key_idx` ON `spend_logs` (`api_key`,`start_time`);--> statement-breakpoint
CREATE INDEX `spend_logs_user_idx` ON `spend_logs` (`user`,`start_time`);--> statement-breakpoint
CREATE INDEX `spend_logs_team_idx` ON `spend_logs` (`team_id`,`start_time`);--> statement-breakpoint
CREATE TABLE `team_members` (
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text DEFAULT 'user' NOT NULL,
	`max_budget_in_team` real,
	`spend` real DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `team_members_user_idx` ON `team_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`team_id` text PRIMARY KEY NOT NULL,
	`team_alias` text,
	`models` text DEFAULT '[]' NOT NULL,
	`max_budget` real,
	`spend` real DEFAULT 0 NOT NULL,
	`budget_duration` text,
	`budget_reset_at` integer,
	`rpm_limit` integer,
	`tpm_limit` integer,
	`max_parallel_requests` integer,
	`blocked` integer DEFAULT false NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`user_email` text,
	`user_alias` text,
	`user_role` text DEFAULT 'internal_user' NOT NULL,
	`models` text DEFAULT '[]' NOT NULL,
	`max_budget` real,
	`spend` real DEFAULT 0 NOT NULL,
	`budget_duration` text,
	`budget_reset_at` integer,
	`rpm_limit` integer,
	`tpm_limit` integer,
	`max_parallel_requests` integer,
	`metadata` text DEFAULT '{}' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
