-- Response cache (#17): the request cache controls a key may send (LiteLLM's allowed_cache_controls; '[]' = any).
ALTER TABLE `keys` ADD `allowed_cache_controls` text DEFAULT '[]' NOT NULL;
