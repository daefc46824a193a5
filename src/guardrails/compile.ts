// Build step: turns the guardrail parts of a LiteLLM config into GuardrailSpecs (JSON, bundled with
// the compiled config). Runs when the config is built, never on a request. Every problem is reported
// with its config path; a guard that cannot work here stops the build, naming it:
//   - a third-party guard with no credentials and no local equivalent,
//   - an integration this gateway does not have,
//   - a content filter with nothing to look for.
// `presidio` without an analyzer uses the local PII masker, `lakera*` without an api_key the local
// prompt-injection detector: each says so in a start-up note.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { prebuiltPattern, PREBUILT_NAMES, SECRET_PATTERNS, LOCAL_PII_ENTITIES } from "./local/patterns";
import { blockedWordsFileSchema, guardrailConfigShape, type GuardrailEntry, type GuardrailParams, type LegacyGuardrailItem } from "../schema/guardrails";
import type { CompiledGuardrails, FilterPatternSpec, GuardrailSpec, PiiScope } from "./spec";
import type { Hook } from "./types";

export class GuardrailConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid guardrail config:\n  ${issues.join("\n  ")}`);
    this.name = "GuardrailConfigError";
  }
}

export interface CompileOptions {
  /** Build-time environment (process.env, then environment_variables): finds LiteLLM's default variables. */
  env?: (name: string) => string | undefined;
  /** Reads a `blocked_words_file` (path as written in the config). */
  readFile?: (path: string) => string;
}

const ENV = "os.environ/";
const HOOKS: ReadonlySet<string> = new Set<Hook>(["pre_call", "during_call", "post_call"]);
/** Old `callbacks:` names (litellm_settings.guardrails) -> today's integration names. */
const LEGACY_CALLBACKS: Record<string, string> = {
  lakera_prompt_injection: "lakera_v2",
  presidio: "presidio",
  hide_secrets: "hide-secrets",
  detect_prompt_injection: "detect_prompt_injection",
  openai_moderations: "openai_moderation",
};
const SECRET_FIELDS = new Set(["api_key", "aws_secret_access_key", "aws_session_token", "aws_access_key_id"]);

const configInputSchema = z.looseObject({
  guardrails: guardrailConfigShape.guardrails,
  litellm_settings: z.looseObject(guardrailConfigShape.litellmSettings).optional(),
});

const formatPath = (path: readonly PropertyKey[]) => path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");

function mask(value: unknown): unknown {
  if (typeof value !== "string" || value.startsWith(ENV)) return value;
  return value.length > 8 ? `****${value.slice(-4)}` : "****";
}

/** litellm_params as /guardrails/list shows them: secrets masked, `os.environ/` references kept. */
function listParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (SECRET_FIELDS.has(k)) out[k] = mask(v);
    else if (k === "headers" && v && typeof v === "object") out[k] = Object.fromEntries(Object.entries(v).map(([h, x]) => [h, mask(x)]));
    else out[k] = v;
  }
  return out;
}

/** Validates and normalises every guardrail in a raw config; throws GuardrailConfigError listing each problem. */
export function compileGuardrails(rawConfig: unknown, options: CompileOptions = {}): CompiledGuardrails {
  const parsed = configInputSchema.safeParse(rawConfig ?? {});
  if (!parsed.success) throw new GuardrailConfigError(parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`));
  const ctx = new Context(options);
  const { guardrails = [], litellm_settings: settings } = parsed.data;
  const policy = settings?.content_policy;
  if (policy) {
    const incoming = policy.incoming?.block_words ?? [];
    const outgoing = policy.outgoing?.block_words ?? [];
    const modes: Hook[] = [...(incoming.length ? (["pre_call"] as const) : []), ...(outgoing.length ? (["post_call"] as const) : [])];
    if (modes.length) {
      ctx.claim("content_policy", "litellm_settings.content_policy");
      ctx.add("litellm_settings.content_policy", {
        kind: "block_words", name: "content_policy", type: "content_policy", modes, defaultOn: true, incoming, outgoing,
        listParams: { guardrail: "content_policy", mode: modes, default_on: true },
      });
    }
  }
  (settings?.guardrails ?? []).forEach((item, i) => {
    const path = `litellm_settings.guardrails[${i}]`;
    if ("litellm_params" in item && "guardrail_name" in item) ctx.entry(item as GuardrailEntry, path);
    else ctx.legacy(item as LegacyGuardrailItem, path);
  });
  guardrails.forEach((entry, i) => ctx.entry(entry, `guardrails[${i}]`));
  if (ctx.issues.length) throw new GuardrailConfigError(ctx.issues);
  return { specs: ctx.specs, notes: ctx.notes };
}

class Context {
  readonly specs: GuardrailSpec[] = [];
  readonly issues: string[] = [];
  readonly notes: string[] = [];
  private readonly names = new Set<string>();

  constructor(private readonly options: CompileOptions) {}

  add(_path: string, spec: GuardrailSpec) {
    this.specs.push(spec);
  }

  claim(name: string, path: string) {
    if (this.names.has(name)) this.issues.push(`${path}: duplicate guardrail_name '${name}'`);
    this.names.add(name);
  }

  /** `- {name: {callbacks: [...], default_on}}`: one guardrail per callback, pre_call, as LiteLLM ran them. */
  legacy(item: LegacyGuardrailItem, path: string) {
    const [[name, conf]] = Object.entries(item);
    if (conf.logging_only) this.notes.push(`guardrail '${name}': logging_only is not supported yet; it does not run`);
    conf.callbacks.forEach((callback, j) => {
      const guardrail = LEGACY_CALLBACKS[callback];
      if (!guardrail) {
        this.issues.push(`${path}.${name}.callbacks[${j}]: unknown guardrail callback '${callback}' (supported: ${Object.keys(LEGACY_CALLBACKS).join(", ")})`);
        return;
      }
      const params = { guardrail, mode: conf.logging_only ? "logging_only" : "pre_call", default_on: conf.default_on ?? false, ...conf.callback_args?.[callback] } as GuardrailParams;
      this.entry({ guardrail_name: conf.callbacks.length > 1 ? `${name}-${callback}` : name, litellm_params: params }, `${path}.${name}`);
    });
  }

  entry(entry: GuardrailEntry, path: string) {
    const p = entry.litellm_params;
    const name = entry.guardrail_name;
    this.claim(name, path);
    const modes = this.modes(p.mode, name, `${path}.litellm_params.mode`);
    const base = { name, type: p.guardrail, modes, defaultOn: p.default_on ?? false, listParams: listParams(p), info: entry.guardrail_info, timeout: p.timeout };
    const type = p.guardrail.toLowerCase();
    const at = `${path}.litellm_params`;
    switch (type) {
      case "litellm_content_filter":
        return this.contentFilter(base, p, at);
      case "hide-secrets":
      case "hide_secrets":
        return this.add(path, {
          ...base, kind: "content_filter", words: [], patternFormat: "[REDACTED]", keywordTag: "[REDACTED]",
          patterns: SECRET_PATTERNS.map((s) => ({ name: s, prebuilt: s, action: "MASK" as const })),
        });
      case "presidio":
        return this.presidio(base, p, at, path);
      case "lakera":
      case "lakera_guard":
      case "lakera_v2":
      case "lakera_prompt_injection": {
        const apiKey = this.credential(p.api_key, "LAKERA_API_KEY");
        const monitorOnly = p.on_flagged === "monitor";
        if (!apiKey) {
          this.notes.push(`guardrail '${name}' (${p.guardrail}): no api_key (nor LAKERA_API_KEY); using the local prompt-injection detector`);
          return this.add(path, { ...base, kind: "prompt_injection", monitorOnly });
        }
        const apiBase = this.credential(p.api_base, "LAKERA_API_BASE") ?? "https://api.lakera.ai";
        return this.add(path, {
          ...base, kind: "lakera", apiKey, apiBase, projectId: p.project_id, payload: p.payload ?? true, breakdown: p.breakdown ?? true,
          metadata: p.metadata, devInfo: p.dev_info ?? true, monitorOnly,
        });
      }
      case "detect_prompt_injection":
        return this.add(path, { ...base, kind: "prompt_injection", monitorOnly: false });
      case "aporia": {
        const apiKey = this.credential(p.api_key, "APORIA_API_KEY", "APORIO_API_KEY");
        const apiBase = this.credential(p.api_base, "APORIA_API_BASE", "APORIO_API_BASE");
        if (!apiKey || !apiBase) return this.missing(at, name, p.guardrail, "api_key and api_base (or APORIA_API_KEY / APORIA_API_BASE)");
        return this.add(path, { ...base, kind: "aporia", apiKey, apiBase });
      }
      case "openai_moderation": {
        const apiKey = this.credential(p.api_key, "OPENAI_API_KEY");
        if (!apiKey) return this.missing(at, name, p.guardrail, "api_key (or OPENAI_API_KEY)");
        const apiBase = this.credential(p.api_base, "OPENAI_API_BASE") ?? "https://api.openai.com/v1";
        return this.add(path, { ...base, kind: "openai_moderation", apiKey, apiBase, model: p.model ?? "omni-moderation-latest" });
      }
      case "generic_guardrail_api": {
        const apiBase = this.credential(p.api_base, "GENERIC_GUARDRAIL_API_BASE");
        if (!apiBase) return this.missing(at, name, p.guardrail, "api_base (or GENERIC_GUARDRAIL_API_BASE)");
        return this.add(path, {
          ...base, kind: "generic_api", apiBase, headers: p.headers ?? {}, additional: p.additional_provider_specific_params ?? {},
          failOpen: p.unreachable_fallback === "fail_open",
        });
      }
      case "bedrock":
        return this.bedrock(base, p, at, path);
      default:
        this.issues.push(`${at}.guardrail: guardrail '${name}' uses '${p.guardrail}', which this gateway does not support (supported: litellm_content_filter, hide-secrets, presidio, lakera_v2, aporia, bedrock, openai_moderation, generic_guardrail_api)`);
    }
  }

  private missing(at: string, name: string, type: string, what: string) {
    this.issues.push(`${at}: guardrail '${name}' (${type}) has no credentials and no local equivalent: set ${what}`);
  }

  /** The configured value, else the first default variable present at build time (as `os.environ/NAME`). */
  private credential(value: string | undefined, ...envNames: string[]): string | undefined {
    if (value) return value;
    const found = envNames.find((n) => this.options.env?.(n));
    return found ? `${ENV}${found}` : undefined;
  }

  private modes(mode: GuardrailParams["mode"], name: string, path: string): Hook[] {
    let list: string[];
    if (typeof mode === "string") list = [mode];
    else if (Array.isArray(mode)) list = mode;
    else {
      if (mode.tags) this.notes.push(`guardrail '${name}': tag-based modes are not supported; using mode.default`);
      list = mode.default === undefined ? [] : typeof mode.default === "string" ? [mode.default] : mode.default;
      if (!list.length) this.issues.push(`${path}: expected pre_call, during_call or post_call (or a mode.default)`);
    }
    const ignored = list.filter((m) => !HOOKS.has(m));
    if (ignored.length) this.notes.push(`guardrail '${name}': mode ${ignored.join(", ")} is not supported yet (ignored)`);
    const hooks = [...new Set(list.filter((m) => HOOKS.has(m)))] as Hook[];
    if (!hooks.length && list.length) this.notes.push(`guardrail '${name}' has no pre_call, during_call or post_call mode: it does not run`);
    return hooks;
  }

  private contentFilter(base: Omit<GuardrailSpec, "kind">, p: GuardrailParams, at: string) {
    const patterns = (p.patterns ?? []).flatMap((pat, i): FilterPatternSpec[] => {
      if (pat.pattern_type === "prebuilt") {
        if (!pat.pattern_name || !prebuiltPattern(pat.pattern_name)) {
          this.issues.push(`${at}.patterns[${i}].pattern_name: unknown prebuilt pattern '${pat.pattern_name ?? ""}' (available: ${PREBUILT_NAMES.join(", ")})`);
          return [];
        }
        return [{ name: pat.pattern_name, prebuilt: pat.pattern_name, action: pat.action }];
      }
      if (!pat.pattern) {
        this.issues.push(`${at}.patterns[${i}].pattern: a regex pattern needs 'pattern'`);
        return [];
      }
      try {
        new RegExp(pat.pattern, "gi");
      } catch (err) {
        this.issues.push(`${at}.patterns[${i}].pattern: invalid regular expression (${(err as Error).message})`);
        return [];
      }
      return [{ name: pat.name ?? "custom_regex", regex: pat.pattern, action: pat.action }];
    });
    const words = [...(p.blocked_words ?? [])];
    if (p.blocked_words_file) words.push(...this.wordsFile(p.blocked_words_file, `${at}.blocked_words_file`));
    if (p.categories?.length) this.notes.push(`guardrail '${base.name}': content filter categories are not supported yet (ignored)`);
    if (!patterns.length && !words.length && !this.issues.some((i) => i.startsWith(at))) {
      this.issues.push(`${at}: guardrail '${base.name}' (litellm_content_filter) has no patterns and no blocked_words: it would pass everything`);
    }
    const patternFormat = p.pattern_redaction_format ?? "[{pattern_name}_REDACTED]";
    this.add(at, { ...base, kind: "content_filter", patterns, words, patternFormat, keywordTag: p.keyword_redaction_tag ?? "[KEYWORD_REDACTED]" } as GuardrailSpec);
  }

  /** blocked_words_file is read now and bundled: the Worker has no file system. */
  private wordsFile(file: string, path: string) {
    if (!this.options.readFile) {
      this.issues.push(`${path}: cannot read '${file}' here (no file access)`);
      return [];
    }
    let data: unknown;
    try {
      data = parseYaml(this.options.readFile(file));
    } catch (err) {
      this.issues.push(`${path}: cannot read '${file}': ${(err as Error).message}`);
      return [];
    }
    const result = blockedWordsFileSchema.safeParse(data);
    if (!result.success) {
      this.issues.push(...result.error.issues.map((i) => `${path} (${file}) ${formatPath(i.path)}: ${i.message}`));
      return [];
    }
    return result.data.blocked_words;
  }

  private presidio(base: Omit<GuardrailSpec, "kind">, p: GuardrailParams, at: string, path: string) {
    const entities = p.pii_entities_config ?? {};
    const scope: PiiScope = p.presidio_filter_scope ?? p.presidio_run_on ?? "both";
    const outputParsePii = p.output_parse_pii ?? false;
    const analyzer = this.credential(p.presidio_analyzer_api_base ?? p.api_base, "PRESIDIO_ANALYZER_API_BASE");
    const anonymizer = this.credential(p.presidio_anonymizer_api_base ?? p.api_base, "PRESIDIO_ANONYMIZER_API_BASE");
    if (analyzer && anonymizer) {
      return this.add(path, {
        ...base, kind: "presidio", analyzer, anonymizer, language: p.presidio_language ?? "en", entities, scope, outputParsePii,
        thresholds: p.presidio_score_thresholds ?? {}, denyList: p.presidio_entities_deny_list ?? [],
      });
    }
    if (analyzer || anonymizer) {
      this.issues.push(`${at}: guardrail '${base.name}' (presidio) needs both presidio_analyzer_api_base and presidio_anonymizer_api_base`);
      return;
    }
    const unknown = Object.keys(entities).filter((e) => !LOCAL_PII_ENTITIES[e]);
    if (unknown.length) {
      this.issues.push(`${at}.pii_entities_config: guardrail '${base.name}' has no Presidio analyzer, and the local PII masker cannot find ${unknown.join(", ")} (it finds ${Object.keys(LOCAL_PII_ENTITIES).join(", ")}); set presidio_analyzer_api_base / presidio_anonymizer_api_base`);
      return;
    }
    const deny = new Set(p.presidio_entities_deny_list ?? []);
    const chosen = Object.keys(entities).length ? entities : Object.fromEntries(Object.keys(LOCAL_PII_ENTITIES).map((e) => [e, "MASK" as const]));
    const kept = Object.fromEntries(Object.entries(chosen).filter(([e]) => !deny.has(e)));
    this.notes.push(`guardrail '${base.name}' (presidio): no analyzer configured; using the local PII masker (${Object.keys(kept).join(", ")})`);
    this.add(path, { ...base, kind: "pii_mask", entities: kept, outputParsePii, scope });
  }

  private bedrock(base: Omit<GuardrailSpec, "kind">, p: GuardrailParams, at: string, path: string) {
    if (!p.guardrailIdentifier || !p.guardrailVersion) {
      this.issues.push(`${at}: guardrail '${base.name}' (bedrock) needs guardrailIdentifier and guardrailVersion`);
      return;
    }
    const apiKey = this.credential(p.api_key, "AWS_BEARER_TOKEN_BEDROCK");
    const accessKeyId = this.credential(p.aws_access_key_id, "AWS_ACCESS_KEY_ID");
    const secretAccessKey = this.credential(p.aws_secret_access_key, "AWS_SECRET_ACCESS_KEY");
    if (!apiKey && !(accessKeyId && secretAccessKey)) {
      return this.missing(at, base.name, "bedrock", "aws_access_key_id and aws_secret_access_key, or api_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_BEARER_TOKEN_BEDROCK)");
    }
    const endpoint = p.aws_bedrock_runtime_endpoint ?? p.api_base;
    const region = this.credential(p.aws_region_name, "AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION");
    if (!region && !endpoint) {
      this.issues.push(`${at}: guardrail '${base.name}' (bedrock) needs aws_region_name (or AWS_REGION)`);
      return;
    }
    this.add(path, {
      ...base, kind: "bedrock", identifier: p.guardrailIdentifier, version: p.guardrailVersion, region, endpoint,
      accessKeyId: apiKey ? undefined : accessKeyId, secretAccessKey: apiKey ? undefined : secretAccessKey,
      sessionToken: apiKey ? undefined : this.credential(p.aws_session_token, "AWS_SESSION_TOKEN"), apiKey,
    });
  }
}
