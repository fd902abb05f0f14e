import { test as base, expect, type APIRequestContext, type Browser, type Page, type WebSocketRoute } from "@playwright/test";

/**
 * Playwright's `test`, closing the browser contexts a test opened once it
 * has passed: pages left open keep their live connections and their wasm
 * busy, and on a machine of two cores they slow every later test down. (A
 * failed test's stay open, for its screenshots and trace.)
 */
export const test = base.extend<{ closeContexts: void }>({
  closeContexts: [
    async ({ browser }, use, testInfo) => {
      const before = new Set(browser.contexts());
      await use();
      if (testInfo.status !== testInfo.expectedStatus) return;
      for (const context of browser.contexts()) if (!before.has(context)) await context.close();
    },
    { auto: true },
  ],
});

/** A name no other test run has used. */
export function unique(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Opens a page and waits until the wasm has hydrated it. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
}

export const PASSWORD = "correct horse battery";

/** Creates an account from the home page's form; ends signed in on `/`. */
export async function register(page: Page, username: string) {
  await open(page, "/");
  const form = page.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Username").fill(username);
  await form.getByLabel(/^Password/).fill(PASSWORD);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(username);
}

/** Calls a server function as a script would (JSON back, no redirects). */
export async function call(api: APIRequestContext, name: string, form: Record<string, string>) {
  const res = await api.post(`/api/${name}`, { form, maxRedirects: 0, headers: { Accept: "application/json" } });
  expect(res.status(), `${name}: ${await res.text()}`).toBeLessThan(400);
  return res.json().catch(() => null);
}

/** Creates organization `name` at `slug` from the form on `/` (signed in). */
export async function createOrg(page: Page, name: string, slug: string) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("URL name").fill(slug);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}$`));
}

/**
 * Routes `page`'s live connections through the test, so that it can lose
 * them: Chromium's offline mode leaves open WebSockets alone. Call before
 * the page opens them.
 */
export async function cuttableNetwork(page: Page) {
  let online = true;
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!online) return void ws.close();
    ws.connectToServer();
    sockets.push(ws);
  });
  return {
    /** Offline: open live connections cut, new ones refused. */
    async cut() {
      online = false;
      await page.context().setOffline(true);
      for (const ws of sockets.splice(0)) await ws.close();
    },
    async restore() {
      online = true;
      await page.context().setOffline(false);
    },
  };
}

/**
 * Two people in a new organization (Ann owns it, Bob joined it), each in a
 * browser of their own, both on its #general, live; `problems` collects
 * their console errors.
 */
export async function twoInGeneral(browser: Browser, orgName: string) {
  const [ann, bob, slug] = [unique("ann"), unique("bob"), unique("org")];
  const annPage = await (await browser.newContext()).newPage();
  const bobPage = await (await browser.newContext()).newPage();
  const problems: string[] = [];
  for (const page of [annPage, bobPage]) {
    page.on("console", (m) => m.type() === "error" && problems.push(`${m.text()} (${m.location().url})`));
    page.on("pageerror", (e) => problems.push(e.message));
  }
  await register(annPage, ann);
  await call(annPage.request, "create_org", { name: orgName, slug });
  const invite = await call(annPage.request, "create_invite", { slug });
  await register(bobPage, bob);
  await call(bobPage.request, "accept_invite", { token: invite.token });
  for (const page of [annPage, bobPage]) {
    await open(page, `/o/${slug}/c/general`);
    await expect(page.getByRole("status")).toHaveText("Live");
  }
  return { ann, bob, annPage, bobPage, slug, problems };
}

/** The row of the message that says `text`. */
export function message(page: Page, text: string) {
  return page.locator("li.msg").filter({ hasText: text });
}
