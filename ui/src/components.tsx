// Small pieces every page uses. Everything a user typed is rendered as text (Preact escapes it);
// nothing here sets HTML.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { count, limit, usd } from "./format";

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [props.onClose]);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={props.wide ? "modal wide" : "modal"} role="dialog" aria-label={props.title}>
        <header>
          <h2>{props.title}</h2>
          <button class="ghost" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

/** A question with one dangerous button. */
export function Confirm(props: { title: string; message: ComponentChildren; action: string; onConfirm: () => Promise<void> | void; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    try {
      await props.onConfirm(); // closes or replaces this dialog itself
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <p>{props.message}</p>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="actions">
        <button class="ghost" onClick={props.onClose}>
          Cancel
        </button>
        <button class="danger" disabled={busy} onClick={run}>
          {props.action}
        </button>
      </div>
    </Modal>
  );
}

export function Notice(props: { kind: "error" | "info" | "ok" | "warn"; children: ComponentChildren }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

export const Loading = () => <p class="muted">Loading…</p>;

/** Spend against a budget: a bar that turns orange past 80 % and red at the limit. */
export function BudgetBar(props: { spend: number; max: number | null | undefined }) {
  if (props.max === null || props.max === undefined) return <span class="muted">{usd(props.spend)} · no budget</span>;
  const share = props.max > 0 ? Math.min(1, props.spend / props.max) : 1;
  const level = share >= 1 ? "over" : share >= 0.8 ? "near" : "ok";
  return (
    <div class="budget" title={`${usd(props.spend)} of ${usd(props.max)}`}>
      <div class="bar">
        <div class={`fill ${level}`} style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </div>
      <span>
        {usd(props.spend)} / {usd(props.max)}
      </span>
    </div>
  );
}

export function CopyButton(props: { text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(props.text);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return <button onClick={copy}>{copied ? "Copied" : "Copy"}</button>;
}

/** A secret shown once, with a copy button. */
export function ShownOnce(props: { label: string; value: string }) {
  return (
    <div class="shown-once">
      <Notice kind="warn">Copy this key now: it is shown only once, the gateway keeps only its hash.</Notice>
      <label>{props.label}</label>
      <div class="row">
        <code class="secret" data-testid="new-key">
          {props.value}
        </code>
        <CopyButton text={props.value} />
      </div>
    </div>
  );
}

/** A new key shown once in its own dialog. */
export function ShownOnceDialog(props: { title: string; value: string; onClose: () => void }) {
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <ShownOnce label="Key" value={props.value} />
      <div class="actions">
        <button class="primary" onClick={props.onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}

/** A list page's table: headers (a leading "#" right-aligns a number column), its rows, a line when empty, a footer. */
export function DataTable(props: { head: string[]; empty: string; children: ComponentChildren[]; foot?: ComponentChildren }) {
  return (
    <section class="card flush">
      <table>
        <thead>
          <tr>
            {props.head.map((h) => (h.startsWith("#") ? <th class="num">{h.slice(1)}</th> : <th>{h}</th>))}
          </tr>
        </thead>
        <tbody>
          {props.children.length === 0 && (
            <tr>
              <td colSpan={props.head.length} class="muted">
                {props.empty}
              </td>
            </tr>
          )}
          {props.children}
        </tbody>
      </table>
      {props.foot && <div class="table-foot">{props.foot}</div>}
    </section>
  );
}

/** "12 keys" and the pager, under a paged table. */
export const PagedFoot = (props: { total: number; noun: string; page: number; totalPages: number; onPage: (page: number) => void }) => (
  <>
    <span class="muted">{count(props.total, props.noun)}</span>
    <Pager page={props.page} totalPages={props.totalPages} onPage={props.onPage} />
  </>
);

/** Edit and Delete at the end of a row, after any other buttons. */
export function RowActions(props: { onEdit: () => void; onDelete: () => void; children?: ComponentChildren }) {
  return (
    <td class="row-actions">
      <div>
        {props.children}
        <button onClick={props.onEdit}>Edit</button>
        <button class="danger" onClick={props.onDelete}>
          Delete
        </button>
      </div>
    </td>
  );
}

/** A list page's open dialog and last message: `done(text)` says it, closes the dialog and reloads the list. */
export function usePageDialog<D>(reload: () => void) {
  const [dialog, setDialog] = useState<D | null>(null);
  const [message, setMessage] = useState<string>();
  const close = useCallback(() => setDialog(null), []);
  const done = (text: string) => {
    setMessage(text);
    setDialog(null);
    reload();
  };
  return { dialog, setDialog, message, setMessage, close, done };
}

export function Pager(props: { page: number; totalPages: number; onPage: (page: number) => void }) {
  if (props.totalPages <= 1) return null;
  return (
    <div class="pager">
      <button disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        ‹ Previous
      </button>
      <span>
        Page {props.page} of {props.totalPages}
      </span>
      <button disabled={props.page >= props.totalPages} onClick={() => props.onPage(props.page + 1)}>
        Next ›
      </button>
    </div>
  );
}

export const Json = (props: { value: unknown }) => <pre class="json">{JSON.stringify(props.value, null, 2)}</pre>;

export const Badge = (props: { kind?: "ok" | "bad" | "warn" | "info"; children: ComponentChildren }) => <span class={`badge ${props.kind ?? "info"}`}>{props.children}</span>;

export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{props.title}</h1>
      <div class="tools">{props.children}</div>
    </div>
  );
}

/** A labelled form control. */
export function Field(props: { label: string; hint?: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <label class={props.wide ? "field wide" : "field"}>
      <span>{props.label}</span>
      {props.children}
      {props.hint && <small class="muted">{props.hint}</small>}
    </label>
  );
}

/** Date range picker with presets (UTC days, as the gateway's aggregates). */
export function DateRange(props: { start: string; end: string; onChange: (start: string, end: string) => void }) {
  const preset = (days: number) => {
    const end = new Date().toISOString().slice(0, 10);
    props.onChange(new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10), end);
  };
  return (
    <div class="range">
      {[7, 30, 90].map((d) => (
        <button class="ghost" onClick={() => preset(d)}>
          {d} days
        </button>
      ))}
      <input type="date" aria-label="From" value={props.start} max={props.end} onInput={(e) => props.onChange(e.currentTarget.value, props.end)} />
      <span class="muted">to</span>
      <input type="date" aria-label="To" value={props.end} min={props.start} onInput={(e) => props.onChange(props.start, e.currentTarget.value)} />
    </div>
  );
}

/** rpm and tpm limits, one per line. */
export const LimitsCell = (props: { rpm: number | null; tpm: number | null }) => (
  <td class="small nowrap">
    <div>{limit(props.rpm, "rpm")}</div>
    <div>{limit(props.tpm, "tpm")}</div>
  </td>
);

/** A list page's title, its create button and tools, and the last message or error. */
export function ListTop(props: { title: string; create: string; onCreate: () => void; message?: string; error?: string; children?: ComponentChildren }) {
  return (
    <>
      <PageHeader title={props.title}>
        {props.children}
        <button class="primary" onClick={props.onCreate}>
          + {props.create}
        </button>
      </PageHeader>
      {props.message && <Notice kind="info">{props.message}</Notice>}
      {props.error && <Notice kind="error">{props.error}</Notice>}
    </>
  );
}
