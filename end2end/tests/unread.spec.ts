import { expect, type APIRequestContext, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { call, createOrg, cuttableNetwork, open, register, unique, PASSWORD, test } from "./helpers";

/**
 * Ann on her laptop makes an organization with #random; Bob, a script, joins
 * it and posts two messages there.
 */
async function twoUnreadInRandom(
  browser: Browser,
  bob: APIRequestContext,
): Promise<{ laptop: BrowserContext; desk: Page; slug: string }> {
  const laptop = await browser.newContext();
  const desk = await laptop.newPage();
  const slug = unique("news");
  await register(desk, unique("ann"));
  await createOrg(desk, "News Co", slug);
  await call(desk.request, "create_channel", { slug, name: "random" });
  const invite = await call(desk.request, "create_invite", { slug });
  await call(bob, "register", { username: unique("bob"), password: PASSWORD });
  await call(bob, "accept_invite", { token: invite.token });
  await call(bob, "join_channel", { slug, channel: "random" });
  for (const body of ["first news", "second news"]) {
    await call(bob, "send_message", { slug, channel: "random", client_id: unique("b"), body });
  }
  return { laptop, desk, slug };
}

test("unread counts: shown in the sidebar, cleared on every device when read on one", async ({
  browser,
  playwright,
  baseURL,
}) => {
  // Ann on her laptop; a colleague posts into #random from a script.
  const bob = await playwright.request.newContext({ baseURL });
  const { laptop, desk, slug } = await twoUnreadInRandom(browser, bob);

  // Ann's laptop and phone (the same session) both show two unread in #random.
  const phone = await (await browser.newContext({ storageState: await laptop.storageState() })).newPage();
  for (const page of [desk, phone]) {
    await open(page, `/o/${slug}/c/general`);
    await expect(page.getByRole("status")).toHaveText("Live");
    const random = page.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
    await expect(random.locator(".unread-count")).toHaveText("2");
  }
  // A new one counts at once on both, without a reload.
  await call(bob, "send_message", { slug, channel: "random", client_id: unique("b"), body: "third news" });
  for (const page of [desk, phone]) {
    const random = page.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
    await expect(random.locator(".unread-count")).toHaveText("3");
  }

  // She reads #random on the laptop: "New" marks where she was, and the
  // phone's count goes away by itself.
  await open(desk, `/o/${slug}/c/random`);
  await expect(desk.getByRole("separator", { name: "New messages" })).toHaveText("New");
  await expect(desk.locator("li.msg .body")).toHaveText(["first news", "second news", "third news"]);
  const onPhone = phone.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
  await expect(onPhone.locator(".unread-count")).toHaveCount(0);

  // Counts stay right across a reload.
  await phone.reload();
  await expect(phone.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
  await expect(onPhone.locator(".unread-count")).toHaveCount(0);
  await bob.dispose();
});

test("a channel read on one device while another was offline is read there too once it is back", async ({
  browser,
  playwright,
  baseURL,
}) => {
  const bob = await playwright.request.newContext({ baseURL });
  const { laptop, desk, slug } = await twoUnreadInRandom(browser, bob);
  const phone = await (await browser.newContext({ storageState: await laptop.storageState() })).newPage();
  const network = await cuttableNetwork(phone);
  for (const page of [desk, phone]) {
    await open(page, `/o/${slug}/c/general`);
    await expect(page.getByRole("status")).toHaveText("Live");
  }
  const onPhone = phone.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
  await expect(onPhone.locator(".unread-count")).toHaveText("2");

  // The phone is offline while she reads #random on the laptop: the notice
  // that it was read cannot reach the phone.
  await network.cut();
  await expect(phone.getByRole("status")).toHaveText("Connection lost; reconnecting…", { timeout: 30_000 });
  await open(desk, `/o/${slug}/c/random`);
  await expect(desk.locator("li.msg .body")).toHaveText(["first news", "second news"]);
  const onDesk = desk.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
  await expect(onDesk.locator(".unread-count")).toHaveCount(0);

  // Back online, the phone learns it by itself, without a reload.
  await network.restore();
  await expect(phone.getByRole("status")).toHaveText("Live", { timeout: 30_000 });
  await expect(onPhone.locator(".unread-count")).toHaveCount(0);
  await bob.dispose();
});
