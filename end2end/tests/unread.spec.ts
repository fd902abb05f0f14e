import { test, expect, type WebSocketRoute } from "@playwright/test";
import { call, open, register, unique, PASSWORD } from "./helpers";

test("unread counts: shown in the sidebar, cleared on every device when read on one", async ({
  browser,
  playwright,
  baseURL,
}) => {
  // Ann on her laptop; a colleague posts into #random from a script.
  const laptop = await browser.newContext();
  const desk = await laptop.newPage();
  const slug = unique("news");
  await register(desk, unique("ann"));
  await desk.getByLabel("Name", { exact: true }).fill("News Co");
  await desk.getByLabel("URL name").fill(slug);
  await desk.getByRole("button", { name: "Create organization" }).click();
  await expect(desk).toHaveURL(new RegExp(`/o/${slug}$`));
  await call(desk.request, "create_channel", { slug, name: "random" });
  const invite = await call(desk.request, "create_invite", { slug });

  const bob = await playwright.request.newContext({ baseURL });
  await call(bob, "register", { username: unique("bob"), password: PASSWORD });
  await call(bob, "accept_invite", { token: invite.token });
  await call(bob, "join_channel", { slug, channel: "random" });
  for (const body of ["first news", "second news"]) {
    await call(bob, "send_message", { slug, channel: "random", client_id: unique("b"), body });
  }

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
  await expect(desk.getByRole("separator")).toHaveText("New");
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
  const laptop = await browser.newContext();
  const desk = await laptop.newPage();
  const slug = unique("away");
  await register(desk, unique("ann"));
  await desk.getByLabel("Name", { exact: true }).fill("Away Co");
  await desk.getByLabel("URL name").fill(slug);
  await desk.getByRole("button", { name: "Create organization" }).click();
  await expect(desk).toHaveURL(new RegExp(`/o/${slug}$`));
  await call(desk.request, "create_channel", { slug, name: "random" });
  const invite = await call(desk.request, "create_invite", { slug });
  const bob = await playwright.request.newContext({ baseURL });
  await call(bob, "register", { username: unique("bob"), password: PASSWORD });
  await call(bob, "accept_invite", { token: invite.token });
  await call(bob, "join_channel", { slug, channel: "random" });
  for (const body of ["first news", "second news"]) {
    await call(bob, "send_message", { slug, channel: "random", client_id: unique("b"), body });
  }

  // Her phone's live connections go through here, so that it can lose them
  // (Chromium's offline mode leaves open WebSockets alone).
  const phoneContext = await browser.newContext({ storageState: await laptop.storageState() });
  const phone = await phoneContext.newPage();
  let online = true;
  const sockets: WebSocketRoute[] = [];
  await phone.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!online) return void ws.close();
    ws.connectToServer();
    sockets.push(ws);
  });
  for (const page of [desk, phone]) {
    await open(page, `/o/${slug}/c/general`);
    await expect(page.getByRole("status")).toHaveText("Live");
  }
  const onPhone = phone.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
  await expect(onPhone.locator(".unread-count")).toHaveText("2");

  // The phone is offline while she reads #random on the laptop: the notice
  // that it was read cannot reach the phone.
  online = false;
  await phoneContext.setOffline(true);
  for (const ws of sockets.splice(0)) await ws.close();
  await expect(phone.getByRole("status")).toHaveText("Connection lost; reconnecting…", { timeout: 30_000 });
  await open(desk, `/o/${slug}/c/random`);
  await expect(desk.locator("li.msg .body")).toHaveText(["first news", "second news"]);
  const onDesk = desk.getByRole("region", { name: "Channels" }).getByRole("link", { name: /random/ });
  await expect(onDesk.locator(".unread-count")).toHaveCount(0);

  // Back online, the phone learns it by itself, without a reload.
  online = true;
  await phoneContext.setOffline(false);
  await expect(phone.getByRole("status")).toHaveText("Live", { timeout: 30_000 });
  await expect(onPhone.locator(".unread-count")).toHaveCount(0);
  await bob.dispose();
});
