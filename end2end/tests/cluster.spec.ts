import { expect, type Browser, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { open, register, unique, test } from "./helpers";

// Confab as a cluster (scripts/cluster.sh, as `make cluster` runs it):
// PostgreSQL, Redis, three servers of the build under test and HAProxy in
// front, in a temporary folder, on a port of its own.
const port = Number(process.env.CONFAB_E2E_CLUSTER_PORT || 3227);
const base = `http://127.0.0.1:${port}`;
const root = path.resolve(__dirname, "../..");
const release = process.env.CONFAB_E2E_RELEASE === "1";
let cluster: ChildProcess;
let dir: string;

test.use({ baseURL: base });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "confab-e2e-cluster-"));
  cluster = spawn(path.join(root, "scripts/cluster.sh"), [], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      CONFAB_CLUSTER_DIR: dir,
      CONFAB_CLUSTER_PORT: String(port),
      CONFAB_CLUSTER_SERVER: `${root}/target/${release ? "release" : "debug"}/server`,
      CONFAB_CLUSTER_SITE: `${root}/target/${release ? "site" : "e2e-site"}`,
      CONFAB_PRESENCE_GRACE_MS: "1000",
      RUST_LOG: "warn",
    },
  });
  let said = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no cluster within 100 s:\n${said}`)), 100_000);
    const hear = (d: Buffer) => {
      said += d.toString();
      if (said.includes("servers behind HAProxy")) {
        clearTimeout(timer);
        resolve();
      }
    };
    cluster.stdout!.on("data", hear);
    cluster.stderr!.on("data", hear);
    cluster.on("exit", (code) => reject(new Error(`scripts/cluster.sh ended (${code}):\n${said}`)));
  });
});

test.afterAll(async () => {
  if (cluster && cluster.exitCode === null) {
    const ended = new Promise((resolve) => cluster.once("exit", resolve));
    cluster.kill("SIGINT");
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A browser held to server `n` of the cluster (by the load balancer's cookie). */
async function onServer(browser: Browser, n: number): Promise<Page> {
  const context = await browser.newContext();
  await context.addCookies([{ name: "confab_server", value: `s${n}`, url: base }]);
  return context.newPage();
}

/** Sends `text` and waits until the server has it (from the outbox, after a
 * reconnection, if the page is between servers). */
async function send(page: Page, text: string, timeout = 10_000) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(page.locator("li.msg").filter({ hasText: text }).locator(".delivery")).toHaveText("sent", { timeout });
}

test("two people on two servers chat, and one server dies under them", async ({ browser }) => {
  test.setTimeout(120_000);
  const ann = await onServer(browser, 1);
  const bob = await onServer(browser, 2);
  const slug = unique("many");

  // Ann, on the first server, makes an organization and invites Bob.
  await register(ann, unique("ann"));
  await ann.getByLabel("Name", { exact: true }).fill("Many Servers");
  await ann.getByLabel("URL name").fill(slug);
  await ann.getByRole("button", { name: "Create organization" }).click();
  await expect(ann).toHaveURL(new RegExp(`/o/${slug}$`));
  await expect(ann.locator("body[data-hydrated]")).toBeAttached();
  await ann.getByRole("button", { name: "Create invite link" }).click();
  const invitePath = await ann.getByTestId("invite-link").getAttribute("href");

  // Bob, on the second, signs up from the link and joins.
  await open(bob, invitePath!);
  const form = bob.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Username").fill(unique("bob"));
  await form.getByLabel(/^Password/).fill("correct horse battery");
  await form.getByRole("button", { name: "Create account" }).click();
  await bob.getByRole("button", { name: "Join Many Servers" }).click();
  await expect(bob).toHaveURL(new RegExp(`/o/${slug}$`));

  for (const page of [ann, bob]) {
    await open(page, `/o/${slug}/c/general`);
    await expect(page.getByRole("status")).toHaveText("Live");
  }
  await send(ann, "hello from the first server");
  await expect(bob.locator("li.msg .body")).toHaveText(["hello from the first server"]);
  await send(bob, "and back from the second");
  await expect(ann.locator("li.msg .body")).toHaveText(["hello from the first server", "and back from the second"]);

  // The first server dies (SIGKILL): Ann's page finds another by itself.
  let annReconnected = false;
  ann.on("websocket", () => (annReconnected = true));
  const pid = Number(fs.readFileSync(path.join(dir, "server1.pid"), "utf8"));
  process.kill(pid, "SIGKILL");
  await send(ann, "still here after a server died", 30_000);
  await expect(ann.getByRole("status")).toHaveText("Live");
  await send(bob, "so am I");
  const all = [
    "hello from the first server",
    "and back from the second",
    "still here after a server died",
    "so am I",
  ];
  // Both have every message once, in the same order.
  await expect(ann.locator("li.msg .body")).toHaveText(all, { timeout: 15_000 });
  await expect(bob.locator("li.msg .body")).toHaveText(all, { timeout: 15_000 });
  expect(annReconnected, "Ann's live connection was on the server that died").toBe(true);
});
