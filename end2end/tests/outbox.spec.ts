import { expect, type Page } from "@playwright/test";
import { call, open, register, unique, test } from "./helpers";

/** The network goes, and when it comes back the live server stays out of
 * reach (the page itself still loads) until the returned function is called. */
async function cutLiveConnection(page: Page): Promise<() => void> {
  let reachable = false;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => (reachable ? ws.connectToServer() : ws.close()));
  await page.context().setOffline(true);
  await expect(page.getByRole("status")).toHaveText("Connection lost; reconnecting…");
  return () => {
    reachable = true;
  };
}

test("a message written offline waits in the outbox across a reload and is delivered once", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  const slug = unique("outbox");
  await register(page, unique("ann"));
  await call(page.request, "create_org", { name: "Outbox Co", slug });
  await open(page, `/o/${slug}/c/general`);
  const status = page.getByRole("status");
  await expect(status).toHaveText("Live");

  const reconnect = await cutLiveConnection(page);

  const text = `written offline ${unique("m")}`;
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  const mine = page.locator("li.msg").filter({ hasText: text });
  await expect(mine.locator(".delivery")).toHaveText("sending…");

  // A reload does not lose it: it is still on its way.
  await page.context().setOffline(false);
  await page.reload();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
  await expect(mine.locator(".delivery")).toHaveText("sending…");
  await expect(status).not.toHaveText("Live");

  // The live server is back: it goes out by itself, once.
  reconnect();
  await expect(status).toHaveText("Live", { timeout: 20_000 });
  await expect(mine.locator(".delivery")).toHaveText("sent");
  const page1 = await call(page.request, "history", { slug, channel: "general" });
  expect(page1.messages.filter((m: { body: string }) => m.body === text)).toHaveLength(1);
  await page.reload();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
  await expect(status).toHaveText("Live", { timeout: 20_000 });
  await expect(page.locator("li.msg").filter({ hasText: text })).toHaveCount(1);
  await expect(page.locator("li.msg .delivery")).toHaveCount(0);
});

test("a refused message says why, stays across a reload, and can be retried or deleted", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  const slug = unique("refused");
  await register(page, unique("ann"));
  await call(page.request, "create_org", { name: "Refused Co", slug });
  await call(page.request, "create_channel", { slug, name: "notes" });
  await open(page, `/o/${slug}/c/notes`);
  await expect(page.getByRole("status")).toHaveText("Live");

  // She left the channel on another device meanwhile: the server refuses.
  await call(page.request, "leave_channel", { slug, channel: "notes" });
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("first draft");
  await box.press("Enter");
  const mine = page.locator("li.msg").filter({ hasText: "first draft" });
  await expect(mine.locator(".delivery")).toHaveText("not sent: Join the channel to post in it.");
  await box.fill("second draft");
  await box.press("Enter");
  const other = page.locator("li.msg").filter({ hasText: "second draft" });
  await expect(other.locator(".delivery")).toHaveText("not sent: Join the channel to post in it.");

  // Kept across a reload, still refused until she acts.
  await page.reload();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
  await expect(mine.locator(".delivery")).toHaveText("not sent: Join the channel to post in it.");

  // Delete drops one for good; after joining again, Retry sends the other, once.
  await other.getByRole("button", { name: "Delete" }).click();
  await expect(other).toHaveCount(0);
  await call(page.request, "join_channel", { slug, channel: "notes" });
  await mine.getByRole("button", { name: "Retry" }).click();
  await expect(mine.locator(".delivery")).toHaveText("sent");
  await page.reload();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
  await expect(page.locator("li.msg .body")).toHaveText(["first draft"]);
  await expect(page.locator("li.msg .delivery")).toHaveCount(0);
});

test("what waits in the outbox goes out from any page of the organization", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  const slug = unique("away");
  await register(page, unique("ann"));
  await call(page.request, "create_org", { name: "Away Co", slug });
  await call(page.request, "create_channel", { slug, name: "random" });
  await open(page, `/o/${slug}/c/general`);
  const status = page.getByRole("status");
  await expect(status).toHaveText("Live");

  const reconnect = await cutLiveConnection(page);
  const text = `left behind ${unique("m")}`;
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(page.locator("li.msg").filter({ hasText: text }).locator(".delivery")).toHaveText("sending…");

  // She moves on to #random before the connection is back.
  await page.context().setOffline(false);
  await page.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("# random");
  reconnect();
  await expect(status).toHaveText("Live", { timeout: 20_000 });
  await expect
    .poll(async () => {
      const history = await call(page.request, "history", { slug, channel: "general" });
      return history.messages.filter((m: { body: string }) => m.body === text).length;
    })
    .toBe(1);
  // Back in #general: shown once, as stored.
  await page.getByRole("region", { name: "Channels" }).getByRole("link", { name: /general/ }).click();
  await expect(page.locator("li.msg").filter({ hasText: text })).toHaveCount(1);
  await expect(page.locator("li.msg .delivery")).toHaveCount(0);
});
