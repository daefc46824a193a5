// The admin UI in a real browser (Debian's chromium, driven by playwright-core) against `npm start`:
// sign in, create a key with a budget, use it through the OpenAI SDK, see its spend and its call,
// block it, chat in the Playground, add a model at runtime and call it, sign in as the key itself,
// and an XSS attempt that stays text.
// Screenshots of every page go to test/node/screenshots/ (gitignored).
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startGateway, type RunningGateway } from "./start";

const CHROMIUM = "/usr/bin/chromium";
const MASTER = "sk-ui-browser-master-0001";
const UI_PASSWORD = "correct horse battery staple";
const XSS = "<img src=x onerror=alert(1)>";
const RUNTIME_MODEL_KEY = "sk-runtime-upstream-key-4242";
const SHOTS = join(ROOT, "test/node/screenshots");

/** Launches chromium, or says loudly why the browser test cannot run (it is skipped, never left hanging). */
async function launch(): Promise<Browser | undefined> {
  const problem = (why: string) => {
    console.error(`\n${"!".repeat(100)}\n!! ADMIN UI BROWSER TEST SKIPPED: ${why}\n!! Install it with: apt-get install -y chromium (.ci/run does)\n${"!".repeat(100)}\n`);
    return undefined;
  };
  if (!existsSync(CHROMIUM)) return problem(`${CHROMIUM} not found`);
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      timeout: 30_000,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  } catch (err) {
    return problem(`chromium did not start: ${(err as Error).message.split("\n")[0]}`);
  }
}

const browser = await launch();

const CONFIG = `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced, mock_response: "Hello from the priced mock, streamed word by word.", input_cost_per_token: 0.00001, output_cost_per_token: 0.00003 }
  - model_name: cheap
    litellm_params: { model: openai/cheap, mock_response: "cheap answer", input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, rpm: 600 }
general_settings:
  master_key: os.environ/UI_TEST_MASTER_KEY
  store_prompts_in_spend_logs: true
  store_model_in_db: true
litellm_settings:
  success_callback: ["prometheus"]
`;

describe.skipIf(!browser)("admin UI in a browser", () => {
  let gw: RunningGateway;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const dialogs: string[] = [];
  let budgetKey = "";
  let client: OpenAI;

  // A fresh document each time (a hash-only change would keep the page's loaded data).
  const go = async (route: string) => {
    await page.goto(`${gw.url}/ui/?load=${Date.now()}#/${route}`);
    await page.locator("main h1").first().waitFor();
  };
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const row = (text: string) => page.getByTestId("key-row").filter({ hasText: text });

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    console.log(`[ui-browser] screenshots: ${SHOTS}`);
    gw = await startGateway(CONFIG, { UI_TEST_MASTER_KEY: MASTER, UI_USERNAME: "lead", UI_PASSWORD, LITELLM_SALT_KEY: "ui-browser-test-salt-0001" });
    context = await browser!.newContext({ viewport: { width: 1360, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: gw.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // Anything the page logs as an error (a CSP violation included) fails the run; failed fetches
    // (401/403/404 answers the test provokes) are the network's, not the page's.
    page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gw?.stop();
  });

  it("serves /ui with a strict CSP and signs in with UI_USERNAME / UI_PASSWORD into an HttpOnly cookie", async () => {
    const res = await page.goto(`${gw.url}/ui/`);
    const csp = res!.headers()["content-security-policy"];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await shot("01-login");

    await page.getByLabel("Username").fill("lead");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Invalid username or password.").waitFor();

    await page.getByLabel("Password").fill(UI_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    const [cookie] = await context.cookies(gw.url);
    expect(cookie).toMatchObject({ name: "litellm_ui_session", httpOnly: true, sameSite: "Strict" });
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: (globalThis as any).document.cookie }));
    expect(stored).toBe(JSON.stringify({ local: {}, session: {}, cookie: "" }));
    await shot("02-dashboard-empty");
  });

  it("creates a key with a budget (shown once, with a copy button) and one whose alias is an XSS attempt", async () => {
    await go("keys");
    await page.getByRole("button", { name: "+ Create key" }).click();
    await page.locator('input[name="key_alias"]').fill("ci-agent");
    await page.locator('input[name="max_budget"]').fill("0.5");
    await page.locator('input[name="budget_duration"]').fill("30d");
    await page.locator('input[name="rpm_limit"]').fill("100");
    await page.locator('input[name="tags"]').fill("ci, browser-test");
    await shot("03-keys-create-form");
    await page.getByRole("button", { name: "Create key", exact: true }).click();
    budgetKey = (await page.getByTestId("new-key").textContent())!;
    expect(budgetKey).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    await page.getByRole("button", { name: "Copy" }).click();
    expect(await page.evaluate(() => (navigator as any).clipboard.readText())).toBe(budgetKey);
    await shot("04-keys-new-key-shown-once");
    await page.getByRole("button", { name: "Done" }).click();

    await page.getByRole("button", { name: "+ Create key" }).click();
    await page.locator('input[name="key_alias"]').fill(XSS);
    await page.getByRole("button", { name: "Create key", exact: true }).click();
    await page.getByTestId("new-key").waitFor();
    await page.getByRole("button", { name: "Done" }).click();
    await row("ci-agent").waitFor();
    await expect(row(XSS).count()).resolves.toBe(1);
    await shot("05-keys-list");
  });

  it("uses the key through the OpenAI SDK and shows its spend on the dashboard and its call in Logs", async () => {
    client = new OpenAI({ apiKey: budgetKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "hello from the SDK" }] });
    expect(answer.choices[0].message.content).toContain("priced mock");
    const stream = await client.chat.completions.create({ model: "cheap", messages: [{ role: "user", content: "stream please" }], stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
    expect(streamed).toBe("cheap answer");

    // Reports trail live spend by about a second: reload until the dashboard shows it.
    for (let i = 0; ; i++) {
      await go("dashboard");
      const spend = await page.getByTestId("total-spend").locator("strong").textContent();
      if (spend !== "$0") break;
      if (i > 20) throw new Error("the dashboard never showed the key's spend");
      await page.waitForTimeout(500);
    }
    await expect(page.getByTestId("total-requests").locator("strong").textContent()).resolves.toBe("2");
    await page.getByTestId("by-key").getByText("ci-agent").waitFor();
    await page.getByTestId("by-model").getByText("priced").waitFor();
    await page.getByTestId("by-provider").getByText("mock").waitFor();
    await page.locator(".chart canvas").first().waitFor();
    await shot("06-dashboard-with-spend");

    await go("logs");
    await page.getByTestId("log-row").filter({ hasText: "ci-agent" }).first().waitFor();
    await expect(page.getByTestId("log-row").count()).resolves.toBe(2);
    await shot("07-logs");
    await page.getByTestId("log-row").filter({ hasText: "priced" }).click();
    await page.getByText("hello from the SDK").waitFor(); // the stored request
    await shot("08-log-details");
    await page.keyboard.press("Escape");

    await go("keys");
    await row("ci-agent").getByRole("button", { name: "ci-agent" }).click();
    await page.getByTestId("key-details").getByText("Latest calls").waitFor();
    await shot("09-key-details");
    await page.keyboard.press("Escape");
  });

  it("blocks the key, and the API refuses it", async () => {
    await go("keys");
    await row("ci-agent").getByRole("button", { name: "Block" }).click();
    await row("ci-agent").getByText("blocked").waitFor();
    const refused = await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "still there?" }] }).then(
      () => undefined,
      (err: InstanceType<typeof OpenAI.APIError>) => err,
    );
    expect(refused?.status).toBe(401);
    await shot("10-keys-blocked");
    await row("ci-agent").getByRole("button", { name: "Unblock" }).click();
    await row("ci-agent").getByText("active").waitFor();
  });

  it("runs a streamed chat in the Playground", async () => {
    await go("playground");
    await page.getByLabel("Model").selectOption("priced");
    await page.getByLabel("Message").fill("Say hello");
    const response = page.waitForResponse((r) => r.url().endsWith("/chat/completions"));
    await page.getByRole("button", { name: "Send" }).click();
    expect((await response).headers()["content-type"]).toContain("text/event-stream");
    await page.getByTestId("transcript").getByText("Hello from the priced mock, streamed word by word.").waitFor();
    await page.getByRole("button", { name: "Send" }).waitFor(); // the stream has ended
    await shot("11-playground");
  });

  it("shows models with prices and health", async () => {
    await go("models");
    await page.getByTestId("deployment-row").first().waitFor();
    await expect(page.getByTestId("deployment-row").count()).resolves.toBe(2);
    await page.getByRole("button", { name: "Run health check" }).click();
    await expect.poll(() => page.getByText("healthy", { exact: true }).count(), { timeout: 30_000 }).toBe(2);
    await shot("12-models");
  });

  it("adds a model at runtime, calls it through the OpenAI SDK at once, edits it and deletes it", async () => {
    const admin = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const runtimeRow = () => page.getByTestId("deployment-row").filter({ hasText: "runtime-model" });
    await go("models");
    await page.getByRole("button", { name: "+ Add model" }).click();
    await page.locator('input[name="model_name"]').fill("runtime-model");
    await page.locator('input[name="model"]').fill("openai/gpt-4o-mini");
    await page.locator('input[name="api_key"]').fill(RUNTIME_MODEL_KEY);
    await page.locator('input[name="input_cost_per_token"]').fill("0.0000002");
    await page.locator('input[name="output_cost_per_token"]').fill("0.0000008");
    await page.locator('input[name="rpm"]').fill("120");
    await page.locator('input[name="mock_response"]').fill("Hello from a model added at runtime.");
    await shot("13-models-add-form");
    await page.getByRole("button", { name: "Add model", exact: true }).click();
    await page.getByText("Model added.").waitFor();
    await runtimeRow().getByText("· db").waitFor();
    await expect(page.getByTestId("deployment-row").count()).resolves.toBe(3);
    expect(await page.content()).not.toContain(RUNTIME_MODEL_KEY);
    await shot("14-models-added-at-runtime");

    const answer = await admin.chat.completions.create({ model: "runtime-model", messages: [{ role: "user", content: "are you there?" }] });
    expect(answer.choices[0].message.content).toBe("Hello from a model added at runtime.");
    expect((await admin.models.list()).data.map((m) => m.id)).toContain("runtime-model");

    await runtimeRow().getByRole("button", { name: "Edit" }).click();
    await expect(page.locator('input[name="api_key"]').inputValue()).resolves.toBe(""); // never shown; empty keeps it
    await page.locator('input[name="mock_response"]').fill("Edited at runtime.");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Model saved.").waitFor();
    const edited = await admin.chat.completions.create({ model: "runtime-model", messages: [{ role: "user", content: "again?" }] });
    expect(edited.choices[0].message.content).toBe("Edited at runtime.");

    await runtimeRow().getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Delete", exact: true }).last().click();
    await page.getByText("Model deleted.").waitFor();
    // The list is read again after the delete answers: wait for it, not for a moment.
    await expect.poll(() => page.getByTestId("deployment-row").count(), { timeout: 10_000 }).toBe(2);
    const gone = await admin.chat.completions.create({ model: "runtime-model", messages: [{ role: "user", content: "gone?" }] }).then(
      () => undefined,
      (err: InstanceType<typeof OpenAI.APIError>) => err,
    );
    expect(gone?.status).toBe(400);
  });

  it("manages teams and users and shows the running config with secrets masked", async () => {
    await go("teams");
    await page.getByRole("button", { name: "+ Create team" }).click();
    await page.locator('input[name="team_alias"]').fill("platform");
    await page.locator('input[name="max_budget"]').fill("25");
    await page.getByRole("button", { name: "Create team", exact: true }).click();
    await page.getByText("Team platform created.").waitFor();
    await page.getByRole("cell", { name: /^platform/ }).waitFor();
    await shot("15-teams");

    await go("users");
    await page.getByRole("button", { name: "+ Create user" }).click();
    await page.locator('input[name="user_email"]').fill("dev@example.com");
    await page.getByRole("button", { name: "Create user", exact: true }).click();
    await page.getByText("User dev@example.com created.").waitFor();
    await page.getByRole("cell", { name: "dev@example.com" }).waitFor();
    await shot("16-users");

    await go("settings");
    await page.getByTestId("callback-settings").getByText("prometheus").waitFor();
    expect(await page.content()).not.toContain(MASTER);
    await shot("17-settings");
  });

  it("signs in with a virtual key, which sees only its own data", async () => {
    // A second key with a call of its own, so there is someone else's data to not see.
    const other = await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify({ key_alias: "someone-else" }) }).then((r) => r.json<any>());
    await new OpenAI({ apiKey: other.key, baseURL: `${gw.url}/v1` }).chat.completions.create({ model: "cheap", messages: [{ role: "user", content: "not yours" }] });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "API key" }).click();
    await page.getByLabel("Key").fill(budgetKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "My usage" }).waitFor();
    const nav = await page.locator("nav.side a").allTextContents();
    expect(nav).toEqual(["Dashboard", "My key", "Models", "Logs", "Playground"]);
    await page.getByTestId("by-key").getByText("ci-agent").waitFor();
    expect(await page.getByTestId("by-key").locator("tbody tr").count()).toBe(1);
    await shot("18-key-dashboard");

    await go("logs");
    await page.getByTestId("log-row").first().waitFor();
    const keysShown = await page.getByTestId("log-row").locator("td:nth-child(3)").allTextContents();
    expect(new Set(keysShown)).toEqual(new Set(["ci-agent"]));
    await shot("19-key-logs");

    await go("my-key");
    await page.getByTestId("key-details").getByText("ci-agent").first().waitFor();
    await shot("20-key-my-key");

    const status = await page.evaluate(async () => (await fetch("/key/list")).status);
    expect(status).toBe(403);
    const otherLogs = await page.evaluate(async (token) => (await fetch(`/spend/logs/ui?api_key=${token}`)).status, other.token);
    expect(otherLogs).toBe(403);
  });

  it("kept every user-typed alias as text: no alert, no injected element, no CSP violation or page error", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "API key" }).click();
    await page.getByLabel("Key").fill(MASTER);
    await page.getByRole("button", { name: "Sign in" }).click();
    await go("keys");
    await row(XSS).getByRole("button", { name: XSS }).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await go("dashboard");
    await page.getByTestId("by-key").waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });
});
