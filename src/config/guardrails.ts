// The guardrail engine of a runtime: built with it, once per isolate (buildRuntime), from the specs the
// build step compiled. Kept beside the Runtime rather than in it, so core/ (which types the Runtime)
// stays free of the guardrails' types.
import type { Env } from "../env";
import type { Runtime } from "../core/provider";
import { GuardrailEngine } from "../guardrails/engine";
import type { CompiledGuardrails } from "../guardrails/spec";

const engines = new WeakMap<Runtime, GuardrailEngine>();

/** Builds the runtime's guardrails (regexes compiled, word lists made matchers, `os.environ/` secrets read from env). */
export function buildGuardrails(runtime: Runtime, compiled: CompiledGuardrails, env: Env): void {
  engines.set(runtime, new GuardrailEngine(compiled, env, runtime.config.environment_variables));
}

/** The runtime's guardrail engine. */
export function guardrailsOf(runtime: Runtime): GuardrailEngine {
  const engine = engines.get(runtime);
  if (!engine) throw new Error("guardrails were not built with this runtime (buildRuntime builds them)");
  return engine;
}
