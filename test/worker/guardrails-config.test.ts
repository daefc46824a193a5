// The build step: LiteLLM's guardrail configs parse as pasted, the local stand-ins say so, and a
// guard that cannot work stops the build naming it.
import { describe, expect, it } from "vitest";
import { compileGuardrails, GuardrailConfigError } from "../../src/guardrails/compile";
import { GuardrailEngine } from "../../src/guardrails/engine";

function issues(config: unknown, env: Record<string, string> = {}): string[] {
  try {
    compileGuardrails(config, { env: (n) => env[n] });
  } catch (err) {
    expect(err).toBeInstanceOf(GuardrailConfigError);
    return (err as GuardrailConfigError).issues;
  }
  throw new Error("expected the build to fail");
}

const entry = (guardrail_name: string, litellm_params: Record<string, unknown>) => ({ guardrail_name, litellm_params });

describe("compiling guardrail config", () => {
  it("starts the guide's config as pasted, saying which guards run locally", () => {
    const { specs, notes } = compileGuardrails({
      litellm_settings: {
        content_policy: { outgoing: { block_words: ["password", "api_key", "secret"] }, incoming: { block_words: ["ignore previous instructions", "jailbreak"] } },
        guardrails: [
          { guardrail_name: "pii-masking", litellm_params: { guardrail: "presidio", mode: "during_call", default_on: true } },
          { guardrail_name: "prompt-injection", litellm_params: { guardrail: "lakera_guard", mode: "pre_call" } },
        ],
      },
    });
    expect(specs.map((s) => [s.name, s.kind, s.modes, s.defaultOn])).toEqual([
      ["content_policy", "block_words", ["pre_call", "post_call"], true],
      ["pii-masking", "pii_mask", ["during_call"], true],
      ["prompt-injection", "prompt_injection", ["pre_call"], false],
    ]);
    expect(notes).toEqual([
      "guardrail 'pii-masking' (presidio): no analyzer configured; using the local PII masker (EMAIL_ADDRESS, CREDIT_CARD, IBAN_CODE, US_SSN, PHONE_NUMBER, IP_ADDRESS)",
      "guardrail 'prompt-injection' (lakera_guard): no api_key (nor LAKERA_API_KEY); using the local prompt-injection detector",
    ]);
  });

  it("parses LiteLLM's content filter docs example and its oldest list form", () => {
    const { specs } = compileGuardrails({
      guardrails: [
        entry("content-filter-pre", {
          guardrail: "litellm_content_filter",
          mode: "pre_call",
          patterns: [{ pattern_type: "prebuilt", pattern_name: "us_ssn", action: "BLOCK" }, { pattern_type: "prebuilt", pattern_name: "email", action: "mask" }],
          blocked_words: [{ keyword: "confidential", action: "BLOCK", description: "Sensitive internal information" }],
        }),
      ],
      litellm_settings: { guardrails: [{ prompt_injection: { callbacks: ["lakera_prompt_injection"], default_on: true } }, { hide: { callbacks: ["hide_secrets"] } }] },
    });
    expect(specs.map((s) => [s.name, s.kind, s.type, s.modes])).toEqual([
      ["prompt_injection", "prompt_injection", "lakera_v2", ["pre_call"]],
      ["hide", "content_filter", "hide-secrets", ["pre_call"]],
      ["content-filter-pre", "content_filter", "litellm_content_filter", ["pre_call"]],
    ]);
  });

  it("uses LiteLLM's default variables at build time, as os.environ references", () => {
    const { specs } = compileGuardrails(
      { guardrails: [entry("lk", { guardrail: "lakera_v2", mode: "pre_call" }), entry("pres", { guardrail: "presidio", mode: ["pre_call", "post_call"] })] },
      { env: (n) => ({ LAKERA_API_KEY: "k", PRESIDIO_ANALYZER_API_BASE: "http://a", PRESIDIO_ANONYMIZER_API_BASE: "http://b" })[n] },
    );
    expect(specs[0]).toMatchObject({ kind: "lakera", apiKey: "os.environ/LAKERA_API_KEY", apiBase: "https://api.lakera.ai" });
    expect(specs[1]).toMatchObject({ kind: "presidio", analyzer: "os.environ/PRESIDIO_ANALYZER_API_BASE", anonymizer: "os.environ/PRESIDIO_ANONYMIZER_API_BASE" });
  });

  it("stops the build for a third-party guard without credentials and with no local equivalent, naming it", () => {
    expect(
      issues({
        guardrails: [
          entry("apor", { guardrail: "aporia", mode: "during_call" }),
          entry("mod", { guardrail: "openai_moderation", mode: "pre_call" }),
          entry("bed", { guardrail: "bedrock", mode: "pre_call", guardrailIdentifier: "gr1", guardrailVersion: "DRAFT" }),
          entry("gen", { guardrail: "generic_guardrail_api", mode: "pre_call" }),
        ],
      }),
    ).toEqual([
      "guardrails[0].litellm_params: guardrail 'apor' (aporia) has no credentials and no local equivalent: set api_key and api_base (or APORIA_API_KEY / APORIA_API_BASE)",
      "guardrails[1].litellm_params: guardrail 'mod' (openai_moderation) has no credentials and no local equivalent: set api_key (or OPENAI_API_KEY)",
      "guardrails[2].litellm_params: guardrail 'bed' (bedrock) has no credentials and no local equivalent: set aws_access_key_id and aws_secret_access_key, or api_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_BEARER_TOKEN_BEDROCK)",
      "guardrails[3].litellm_params: guardrail 'gen' (generic_guardrail_api) has no credentials and no local equivalent: set api_base (or GENERIC_GUARDRAIL_API_BASE)",
    ]);
  });

  it("reports each bad field with its path", () => {
    expect(
      issues({
        guardrails: [
          entry("a", { guardrail: "noma", mode: "pre_call" }),
          entry("b", { guardrail: "litellm_content_filter", mode: "pre_call", patterns: [{ pattern_type: "prebuilt", pattern_name: "passport_mars", action: "BLOCK" }, { pattern_type: "regex", pattern: "(?i)abc", action: "MASK" }] }),
          entry("c", { guardrail: "litellm_content_filter", mode: "pre_call", categories: [{ category: "harmful_violence" }] }),
          entry("a", { guardrail: "hide-secrets", mode: "pre_call" }),
          entry("d", { guardrail: "presidio", mode: "pre_call", pii_entities_config: { PERSON: "MASK" } }),
        ],
      })
        .map((i) => i.slice(0, 70)),
    ).toEqual([
      "guardrails[0].litellm_params.guardrail: guardrail 'a' uses 'noma', whi",
      "guardrails[1].litellm_params.patterns[0].pattern_name: unknown prebuil",
      "guardrails[1].litellm_params.patterns[1].pattern: invalid regular expr",
      "guardrails[2].litellm_params: guardrail 'c' (litellm_content_filter) h",
      "guardrails[3]: duplicate guardrail_name 'a'",
      "guardrails[4].litellm_params.pii_entities_config: guardrail 'd' has no",
    ]);
    expect(issues({ guardrails: [{ guardrail_name: "x", litellm_params: { guardrail: "presidio" } }] })).toEqual(["guardrails[0].litellm_params.mode: Invalid input"]);
    expect(issues({ guardrails: [entry("x", { guardrail: "litellm_content_filter", mode: "pre_call", patterns: [{ pattern_type: "prebuilt", pattern_name: "email", action: "REDACT" }] })] })[0]).toMatch(
      /^guardrails\[0\]\.litellm_params\.patterns\[0\]\.action: Invalid option: expected one of "BLOCK"\|"MASK"/,
    );
  });

  it("reads blocked_words_file at build time and reports a bad file", () => {
    const config = { guardrails: [entry("kw", { guardrail: "litellm_content_filter", mode: "pre_call", blocked_words_file: "words.yaml" })] };
    expect(() => compileGuardrails(config)).toThrow("blocked_words_file: cannot read 'words.yaml' here (no file access)");
    expect(() => compileGuardrails(config, { readFile: () => "blocked_words:\n  - keyword: x\n" })).toThrow(/words\.yaml\) blocked_words\[0\]\.action/);
  });

  it("lists guardrails in LiteLLM's shape, secrets masked", () => {
    const compiled = compileGuardrails({
      guardrails: [
        { guardrail_name: "lk", litellm_params: { guardrail: "lakera_v2", mode: "pre_call", api_key: "lk-live-1234567890abcd", default_on: true }, guardrail_info: { description: "prompt attacks" } },
        entry("gen", { guardrail: "generic_guardrail_api", mode: "post_call", api_base: "http://g", headers: { "x-api-key": "os.environ/G_KEY" } }),
      ],
    });
    expect(new GuardrailEngine(compiled).list()).toEqual({
      guardrails: [
        {
          guardrail_id: null, guardrail_name: "lk", guardrail_info: { description: "prompt attacks" }, created_at: null, updated_at: null, guardrail_definition_location: "config",
          litellm_params: { guardrail: "lakera_v2", mode: "pre_call", api_key: "****abcd", default_on: true },
        },
        {
          guardrail_id: null, guardrail_name: "gen", guardrail_info: null, created_at: null, updated_at: null, guardrail_definition_location: "config",
          litellm_params: { guardrail: "generic_guardrail_api", mode: "post_call", api_base: "http://g", headers: { "x-api-key": "os.environ/G_KEY" } },
        },
      ],
    });
  });

  it("notes what it cannot do instead of failing a pasted config", () => {
    const { specs, notes } = compileGuardrails({
      guardrails: [entry("p", { guardrail: "presidio", mode: ["pre_call", "logging_only"] }), entry("t", { guardrail: "hide-secrets", mode: { tags: { "User-Agent: claude-cli": "logging_only" }, default: "pre_call" } })],
    });
    expect(specs.map((s) => s.modes)).toEqual([["pre_call"], ["pre_call"]]);
    expect(notes).toContain("guardrail 'p': mode logging_only is not supported yet (ignored)");
    expect(notes).toContain("guardrail 't': tag-based modes are not supported; using mode.default");
  });
});
