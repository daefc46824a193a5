// Calls to the gateway from the signed-in page: the browser sends the HttpOnly session cookie by
// itself; every change carries the session's CSRF token (kept in memory only, never stored).
import { useCallback, useEffect, useState } from "preact/hooks";

export interface Session {
  role: "admin" | "key";
  user: string;
  open?: boolean;
  csrf_token: string;
  expires_at?: string;
  key?: { token: string; key_name: string; key_alias: string | null; models: string[] };
  settings: { store_prompts_in_spend_logs?: boolean; disable_spend_logs?: boolean };
}

let csrfToken = "";
/** Called when the gateway says the session is gone (401). */
let onSignedOut: () => void = () => {};

export function bindSession(session: Session | null, signedOut: () => void): void {
  csrfToken = session?.csrf_token ?? "";
  onSignedOut = signedOut;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The error message in the gateway's OpenAI-shaped error body, else the status. */
async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body?.error?.message) message = String(body.error.message);
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, message);
}

/** A fetch with the session: JSON in and out, CSRF header on changes. Returns the raw response for streams. */
export async function send(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<Response> {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["x-csrf-token"] = csrfToken;
  const res = await fetch(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), credentials: "same-origin", signal: init.signal });
  if (!res.ok) {
    const error = await errorOf(res);
    if (res.status === 401 && !path.startsWith("/ui/api/login")) onSignedOut();
    throw error;
  }
  return res;
}

export async function api<T>(path: string, init?: { method?: string; body?: unknown; query?: Query }): Promise<T> {
  const res = await send(withQuery(path, init?.query), init);
  return res.json() as Promise<T>;
}

export const post = <T>(path: string, body: unknown = {}) => api<T>(path, { method: "POST", body });

/** Loads `path` (re-loads when it changes or on reload()); `null` path = nothing to load yet. */
export function useApi<T>(path: string | null): { data?: T; error?: string; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => live && setState({ data, loading: false }),
      (err: Error) => live && setState({ error: err.message, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
