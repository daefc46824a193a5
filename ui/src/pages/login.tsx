// Sign-in: LiteLLM's username and password (UI_USERNAME / UI_PASSWORD, else "admin" and the master
// key), or a key (the master key, or a virtual key to see only that key's usage). The key goes to the
// gateway once; the browser keeps only the HttpOnly session cookie.
import { useState } from "preact/hooks";
import { post, type Session } from "../api";
import { Field, Notice } from "../components";

export function Login(props: { onSignedIn: (s: Session) => void; notice?: string }) {
  const [mode, setMode] = useState<"password" | "key">("password");
  const [username, setUsername] = useState("admin");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await post<Session>("/ui/api/login", mode === "key" ? { key: secret } : { username, password: secret });
      setSecret("");
      props.onSignedIn(session);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <h1>LLM Gateway</h1>
        <p class="muted">Sign in to manage keys, spend and models.</p>
        {props.notice && <Notice kind="info">{props.notice}</Notice>}
        <div class="tabs">
          <button type="button" class={mode === "password" ? "tab active" : "tab"} onClick={() => setMode("password")}>
            Username &amp; password
          </button>
          <button type="button" class={mode === "key" ? "tab active" : "tab"} onClick={() => setMode("key")}>
            API key
          </button>
        </div>
        {mode === "password" ? (
          <>
            <Field label="Username">
              <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
            </Field>
            <Field label="Password" hint="UI_PASSWORD, or the master key when UI_PASSWORD is not set">
              <input name="password" type="password" autocomplete="current-password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} required />
            </Field>
          </>
        ) : (
          <Field label="Key" hint="The master key, or a virtual key to see only that key's usage and logs">
            <input name="key" type="password" autocomplete="off" placeholder="sk-..." value={secret} onInput={(e) => setSecret(e.currentTarget.value)} required />
          </Field>
        )}
        {error && <Notice kind="error">{error}</Notice>}
        <button class="primary" type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </div>
  );
}
