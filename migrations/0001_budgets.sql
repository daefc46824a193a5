-- Token budgets (max_token_budget) for keys, teams and users, and the tokens spent in the current budget period.
ALTER TABLE `keys` ADD `max_token_budget` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `token_spend` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `teams` ADD `max_token_budget` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `token_spend` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `max_token_budget` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `token_spend` integer DEFAULT 0 NOT NULL;
