// The drizzle handle over the D1 binding. Cheap to make; no state.
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./db";

export const database = (d1: D1Database) => drizzle(d1, { schema });

export * from "./db";
