// One form for keys, teams, users and models: a list of field specs in LiteLLM's field names, turned
// into the request body. Empty fields are left out when creating and sent as null (cleared) when
// editing, as LiteLLM's update routes expect.
import { useState } from "preact/hooks";
import { Field, Notice } from "./components";

export type FieldSpec = {
  name: string;
  label: string;
  hint?: string;
  /** Only when creating (a custom key, an id). */
  createOnly?: boolean;
  /** Spans both columns. */
  wide?: boolean;
  /** Placeholder text. */
  placeholder?: string;
  /** Editing: an empty field is left out (unchanged) rather than cleared. */
  omitEmpty?: boolean;
  /** Editing: what an empty field clears to (default null; [] for lists). */
  emptyValue?: unknown;
} & (
  | { kind: "text" | "number" | "json" | "list" | "bool" | "password" }
  | { kind: "select"; options: { value: string; label: string }[] }
  | { kind: "models"; options: string[] }
);

type Values = Record<string, string | boolean | string[]>;

function initialValue(spec: FieldSpec, value: unknown): string | boolean | string[] {
  if (spec.kind === "bool") return value === true;
  if (spec.kind === "models") return Array.isArray(value) ? value.map(String) : [];
  if (value === null || value === undefined) return "";
  if (spec.kind === "json") return Object.keys(value as object).length ? JSON.stringify(value, null, 2) : "";
  if (spec.kind === "list") return (value as unknown[]).join(", ");
  return String(value);
}

/** The body for the API; throws with the field's label when a value is malformed. */
function bodyOf(specs: FieldSpec[], values: Values, editing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const spec of specs) {
    if (editing && spec.createOnly) continue;
    const v = values[spec.name];
    if (spec.kind === "bool") {
      if (v || editing) body[spec.name] = v === true;
      continue;
    }
    if (spec.kind === "models") {
      if ((v as string[]).length || editing) body[spec.name] = v;
      continue;
    }
    const text = (v as string).trim();
    if (!text) {
      if (editing && !spec.omitEmpty && spec.kind !== "password") body[spec.name] = "emptyValue" in spec ? spec.emptyValue : spec.kind === "list" ? [] : null;
      continue;
    }
    if (spec.kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n)) throw new Error(`${spec.label}: "${text}" is not a number`);
      body[spec.name] = n;
    } else if (spec.kind === "json") {
      try {
        body[spec.name] = JSON.parse(text);
      } catch {
        throw new Error(`${spec.label}: not valid JSON`);
      }
    } else if (spec.kind === "list") {
      body[spec.name] = text.split(",").map((s) => s.trim()).filter(Boolean);
    } else body[spec.name] = text;
  }
  return body;
}

function Control(props: { spec: FieldSpec; value: string | boolean | string[]; set: (v: string | boolean | string[]) => void }) {
  const { spec, value, set } = props;
  const name = spec.name;
  switch (spec.kind) {
    case "bool":
      return <input type="checkbox" name={name} checked={value as boolean} onChange={(e) => set(e.currentTarget.checked)} />;
    case "json":
      return <textarea name={name} rows={3} placeholder={spec.placeholder} value={value as string} onInput={(e) => set(e.currentTarget.value)} />;
    case "select":
      return (
        <select name={name} value={value as string} onChange={(e) => set(e.currentTarget.value)}>
          <option value="">—</option>
          {spec.options.map((o) => (
            <option value={o.value}>{o.label}</option>
          ))}
        </select>
      );
    case "models": {
      const chosen = value as string[];
      const extra = chosen.filter((m) => !spec.options.includes(m));
      return (
        <div class="checks">
          {spec.options.map((m) => (
            <label class="check">
              <input type="checkbox" checked={chosen.includes(m)} onChange={(e) => set(e.currentTarget.checked ? [...chosen, m] : chosen.filter((x) => x !== m))} />
              {m}
            </label>
          ))}
          <input
            name={name}
            placeholder="access groups or other names, comma-separated"
            value={extra.join(", ")}
            onChange={(e) =>
              set([
                ...chosen.filter((m) => spec.options.includes(m)),
                ...e.currentTarget.value
                  .split(",")
                  .map((s) => s.trim())
                  .filter(Boolean),
              ])
            }
          />
        </div>
      );
    }
    case "password":
      return <input name={name} type="password" autocomplete="off" placeholder={spec.placeholder} value={value as string} onInput={(e) => set(e.currentTarget.value)} />;
    default:
      return (
        <input
          name={name}
          inputMode={spec.kind === "number" ? "decimal" : undefined}
          autocomplete="off"
          placeholder={spec.placeholder}
          value={value as string}
          onInput={(e) => set(e.currentTarget.value)}
        />
      );
  }
}

export function EntityForm(props: {
  specs: FieldSpec[];
  initial?: Record<string, unknown>;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}) {
  const editing = props.initial !== undefined;
  const specs = props.specs.filter((s) => !(editing && s.createOnly));
  const [values, setValues] = useState<Values>(() => Object.fromEntries(specs.map((s) => [s.name, initialValue(s, props.initial?.[s.name])])));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await props.onSubmit(bodyOf(specs, values, editing));
    } catch (err) {
      setError((err as Error).message);
    }
    setBusy(false);
  };
  return (
    <form class="entity-form" onSubmit={submit}>
      <div class="fields">
        {specs.map((spec) => (
          <Field label={spec.label} hint={spec.hint} wide={spec.wide || spec.kind === "json" || spec.kind === "models"}>
            <Control spec={spec} value={values[spec.name]} set={(v) => setValues((old) => ({ ...old, [spec.name]: v }))} />
          </Field>
        ))}
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="actions">
        <button type="button" class="ghost" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
