// What keys, teams and users share (LiteLLM's fields; the server's limitFields in src/keys/fields.ts).
import type { FieldSpec } from "./form";

export interface Limited {
  models: string[];
  max_budget: number | null;
  spend: number;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: Record<string, unknown>;
}

/** Budget and rate limits, in the create/edit forms. */
export const LIMIT_SPECS: FieldSpec[] = [
  { name: "max_budget", label: "Max budget (USD)", kind: "number" },
  { name: "budget_duration", label: "Budget resets every", kind: "text", placeholder: "30d", hint: "30s, 30m, 30h, 30d, 1w, 1mo" },
  { name: "rpm_limit", label: "Requests / minute", kind: "number" },
  { name: "tpm_limit", label: "Tokens / minute", kind: "number" },
  { name: "max_parallel_requests", label: "Parallel requests", kind: "number" },
];

export const METADATA_SPEC: FieldSpec = { name: "metadata", label: "Metadata", kind: "json", placeholder: '{"owner": "ci"}', emptyValue: {} };

export const modelsSpec = (options: string[], hint = "None checked: every model"): FieldSpec => ({ name: "models", label: "Models", kind: "models", options, hint });
