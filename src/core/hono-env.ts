// The Hono environment every route and middleware is typed with: the Worker's bindings, and the
// variables the middleware chain sets (runtime and callId on every request, principal after auth,
// call on LLM routes).
import type { Env } from "../env";
import type { LlmCall } from "./call";
import type { Principal } from "./principal";
import type { Runtime } from "./provider";

export interface GatewayVariables {
  runtime: Runtime;
  callId: string;
  principal: Principal;
  call: LlmCall;
  /** An LLM call whose virtual key its guard has answered for (accepted or refused) in this request. */
  keyChecked: boolean;
}

export type GatewayEnv = { Bindings: Env; Variables: GatewayVariables };
