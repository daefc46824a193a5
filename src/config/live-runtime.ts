// The Runtime an isolate serves: the config's models, plus - with general_settings.store_model_in_db - the
// models stored at runtime in D1 (./stored-models.ts), merged after them.
//
// A Runtime never changes: a stored-model change builds a new one and swaps the reference, so a call keeps
// the Runtime it started with (c.var.runtime) to its end, and the next request gets the new one. Groups the
// change left as they were keep their objects, and state per isolate (the router, known keys) is keyed by
// Runtime.isolate, shared by all of an isolate's Runtimes.
//
// Picking up changes costs the request path nothing: no D1 read per request. An isolate reads one version
// number in the background at most every STORED_MODELS_REFRESH_MS, and loads the models only when it moved.
// Only its first request waits (for the first load). The isolate that makes a change reloads at once; a
// name it does not know makes an isolate ask (at most once per interval) before answering "Invalid model".
import type { Env } from "../env";
import type { Runtime } from "../core/provider";
import { inBackground } from "../lib/background";
import type { CompiledConfig } from "./compile";
import { buildRuntime, type StoredEntry } from "./runtime";
import { readStoredModels, storedEntries, storedVersion, storeModelInDb } from "./stored-models";

/** How often an isolate asks D1 whether the stored models changed (one row, off the request path). */
export const STORED_MODELS_REFRESH_MS = 2_000;

/** Not read yet; "unreadable": the first read failed (the config's models are served, reads go on in the background). */
type Applied = number | undefined | "unreadable";

export class LiveRuntime {
  private runtime: Runtime;
  private applied: Applied;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<Runtime> | undefined;
  private readonly isolate = {};
  private readonly enabled: boolean;

  constructor(
    private readonly compiled: CompiledConfig,
    private readonly env: Env,
    private readonly refreshMs = STORED_MODELS_REFRESH_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = storeModelInDb(compiled.config, env);
    this.runtime = this.build([]);
  }

  private build(stored: StoredEntry[], previous?: Runtime): Runtime {
    const newest = this.enabled ? (force?: boolean) => this.newest(force) : undefined;
    return buildRuntime(this.compiled, this.env, { stored, previous, isolate: this.isolate, newest });
  }

  /** The Runtime for a request: a plain value, except on an isolate's first request with stored models on. */
  current(): Runtime | Promise<Runtime> {
    if (!this.enabled) return this.runtime;
    if (this.applied === undefined) return this.newest();
    if (this.now() - this.checkedAt >= this.refreshMs) inBackground(this.newest());
    return this.runtime;
  }

  /** The newest Runtime: D1 is asked when the last check is older than the refresh interval, or `force`d to be. */
  newest(force = false): Promise<Runtime> {
    if (!force) {
      if (this.reading) return this.reading;
      if (this.applied !== undefined && this.now() - this.checkedAt < this.refreshMs) return Promise.resolve(this.runtime);
    }
    // A forced read starts after the caller's write: one already under way may have read before it.
    const reading = this.read(force).finally(() => {
      if (this.reading === reading) this.reading = undefined;
    });
    this.reading = reading;
    return reading;
  }

  private async read(force: boolean): Promise<Runtime> {
    this.checkedAt = this.now();
    try {
      const known = typeof this.applied === "number" ? this.applied : undefined;
      if (!force && known !== undefined && (await storedVersion(this.env.DB)) === known) return this.runtime;
      const { version, rows } = await readStoredModels(this.env.DB);
      // Reads may land out of order: only a newer version replaces the Runtime.
      if (known === undefined || version > known) {
        const entries = await storedEntries(rows, this.compiled.config, this.env);
        if (typeof this.applied !== "number" || version > this.applied) {
          this.runtime = this.build(entries, this.runtime);
          this.applied = version;
        }
      }
    } catch (err) {
      // Stored models must never fail the calls they are not part of: serve what this isolate has.
      console.warn(`[gateway] could not read the stored models from D1 (the models this isolate has are served; retried in the background): ${(err as Error).message}`);
      this.applied ??= "unreadable";
    }
    return this.runtime;
  }
}
