// `npm run db:generate` writes the next numbered SQL migration in migrations/ from src/schema/db.ts.
// wrangler applies them (`wrangler d1 migrations apply DB`); tests apply them with applyD1Migrations.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/schema/db.ts",
  out: "./migrations",
});
