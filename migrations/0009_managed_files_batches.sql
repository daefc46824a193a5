CREATE TABLE `managed_objects` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner` text NOT NULL,
	`model_group` text NOT NULL,
	`deployment_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`cost_recorded_at` integer
);
--> statement-breakpoint
CREATE INDEX `managed_objects_owner_idx` ON `managed_objects` (`owner`,`kind`,`created_at`);
