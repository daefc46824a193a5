// Reads config.yaml the way LiteLLM does (PyYAML: YAML 1.1), for every place that reads one:
// scripts/build-config.ts, scripts/start.ts and the tests. So `drop_params: yes` is true, and a key
// written twice keeps its last value (two `router_settings:` blocks), with a warning naming both lines.
import { isMap, isScalar, LineCounter, parseDocument, visit, type Scalar, type ScalarTag } from "yaml";

export interface ConfigYaml {
  /** The parsed document as plain data (undefined for an empty file). */
  raw: unknown;
  /** One line per duplicate key. */
  warnings: string[];
}

export class YamlError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join("\n"));
    this.name = "YamlError";
  }
}

// PyYAML's booleans: yes/no/on/off/true/false in three casings; `y`/`n` stay strings (the yaml
// library's 1.1 schema reads them as booleans, PyYAML does not).
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

/** The YAML 1.1 tags with PyYAML's booleans, and dates left as strings (`api_version: 2024-02-01` stays text). */
function pyYamlTags(tags: (ScalarTag | { tag: string })[]) {
  return tags
    .filter((t) => t.tag !== "tag:yaml.org,2002:timestamp")
    .map((t) => {
      if (t.tag !== "tag:yaml.org,2002:bool" || !("test" in t) || !t.test) return t;
      return { ...t, test: t.test.test("yes") ? PY_TRUE : PY_FALSE } as ScalarTag;
    });
}

/** Parses config.yaml text; throws YamlError (with line numbers) when it is not YAML. */
export function readConfigYaml(text: string, source = "config.yaml"): ConfigYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: "1.1", uniqueKeys: false, lineCounter, customTags: pyYamlTags as never, prettyErrors: true });
  if (doc.errors.length) throw new YamlError(doc.errors.map((e) => e.message));
  const warnings: string[] = [];
  const line = (node: { range?: [number, number, number] | null }) => (node.range ? lineCounter.linePos(node.range[0]).line : 0);
  visit(doc, {
    Map(_key, map, path) {
      if (!isMap(map)) return;
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String((pair.key as Scalar).value);
        const at = line(pair.key as Scalar);
        const first = seen.get(key);
        if (first !== undefined) {
          const where = keyPath(path, key);
          warnings.push(`${source}: '${where}' is written twice (lines ${first} and ${at}); the last one is used, as LiteLLM does`);
        }
        seen.set(key, at);
      }
    },
  });
  return { raw: doc.toJS({ maxAliasCount: 1000 }) ?? undefined, warnings };
}

/** The dotted path of a key inside the document, for the warning ("router_settings", "model_list[].litellm_params.model"). */
function keyPath(path: readonly unknown[], key: string): string {
  const parts: string[] = [];
  for (const node of path) {
    if (node && typeof node === "object" && "key" in node && isScalar((node as { key: unknown }).key)) {
      parts.push(String(((node as { key: Scalar }).key).value));
    } else if (node && typeof node === "object" && "items" in node && !isMap(node)) {
      parts.push("[]");
    }
  }
  return [...parts, key].join(".").replace(/\.\[\]/g, "[]");
}
