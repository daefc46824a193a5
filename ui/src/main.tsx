// The admin UI: sign-in, then one page per hash route (#/keys, #/logs ...). An admin sees every
// page; a virtual key's session sees its own usage, logs, key and the playground.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import { api, post, bindSession, type Session } from "./api";
import { Loading, Notice } from "./components";
import { Dashboard } from "./pages/dashboard";
import { Keys } from "./pages/keys";
import { Login } from "./pages/login";
import { Logs } from "./pages/logs";
import { Models } from "./pages/models";
import { MyKey } from "./pages/my-key";
import { Playground } from "./pages/playground";
import { Settings } from "./pages/settings";
import { Teams } from "./pages/teams";
import { Users } from "./pages/users";
import "./style.css";

interface PageDef {
  path: string;
  label: string;
  page: (props: { session: Session }) => preact.JSX.Element;
  admin: boolean;
}

const PAGES: PageDef[] = [
  { path: "dashboard", label: "Dashboard", page: Dashboard, admin: false },
  { path: "keys", label: "Virtual keys", page: Keys, admin: true },
  { path: "my-key", label: "My key", page: MyKey, admin: false },
  { path: "teams", label: "Teams", page: Teams, admin: true },
  { path: "users", label: "Users", page: Users, admin: true },
  { path: "models", label: "Models", page: Models, admin: false },
  { path: "logs", label: "Logs", page: Logs, admin: false },
  { path: "playground", label: "Playground", page: Playground, admin: false },
  { path: "settings", label: "Settings", page: Settings, admin: true },
];

const pagesFor = (s: Session) => PAGES.filter((p) => (s.role === "admin" ? p.path !== "my-key" : !p.admin));

function useHashRoute(): string {
  const read = () => location.hash.replace(/^#\/?/, "").split("?")[0] || "dashboard";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string>();
  const route = useHashRoute();
  bindSession(session ?? null, () => {
    if (!session) return;
    setSession(null);
    setNotice("Your session has ended: sign in again.");
  });
  useEffect(() => {
    api<Session>("/ui/api/session").then(setSession, () => setSession(null));
  }, []);

  if (session === undefined) return <Loading />;
  if (session === null)
    return (
      <Login
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined);
          setSession(s);
        }}
      />
    );

  const pages = pagesFor(session);
  const current = pages.find((p) => p.path === route) ?? pages[0];
  const Page = current.page;
  const signOut = async () => {
    await post("/ui/api/logout").catch(() => undefined);
    setSession(null);
  };
  return (
    <div class="shell">
      <nav class="side">
        <div class="side-inner">
          <div class="brand">LLM Gateway</div>
          {pages.map((p) => (
            <a href={`#/${p.path}`} class={p === current ? "active" : ""}>
              {p.label}
            </a>
          ))}
          <div class="who">
            <span class="muted">Signed in as</span>
            <strong>{session.user}</strong>
            <span class="muted">{session.role === "admin" ? "admin" : "virtual key"}</span>
            {!session.open && (
              <button class="ghost" onClick={signOut}>
                Sign out
              </button>
            )}
          </div>
        </div>
      </nav>
      <main>
        {session.open && <Notice kind="warn">This gateway has no master key: it is open to anyone who can reach it.</Notice>}
        <Page session={session} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
