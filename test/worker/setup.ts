// Runs before each worker test file: brings the local D1 up to the schema in migrations/ (idempotent).
import { applyD1Migrations, env } from "cloudflare:test";

const testEnv = env as unknown as { DB: D1Database; TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] };
await applyD1Migrations(testEnv.DB, testEnv.TEST_MIGRATIONS);
