import { expect, type WebSocketRoute } from "@playwright/test";
import { createOrg, cuttableNetwork, open, register, unique, test } from "./helpers";

test("a device that was offline shows what it missed by itself: each once, in order", async ({ browser }) => {
  const laptop = await browser.newContext();
  const desk = await laptop.newPage();
  const slug = unique("away");
  await register(desk, unique("ann"));
  await createOrg(desk, "Away Co", slug);
  await open(desk, `/o/${slug}/c/general`);
  await expect(desk.getByRole("status")).toHaveText("Live");

  // The same person on a phone (another browser, signed in with the same session).
  const phoneContext = await browser.newContext({ storageState: await laptop.storageState() });
  const phone = await phoneContext.newPage();
  const network = await cuttableNetwork(phone);
  await open(phone, `/o/${slug}/c/general`);
  await expect(phone.getByRole("status")).toHaveText("Live");
  const box = desk.getByRole("textbox", { name: "Message" });
  await box.fill("before the tunnel");
  await box.press("Enter");
  await expect(phone.locator("li.msg .body")).toHaveText(["before the tunnel"]);

  // The phone loses its network while messages keep coming.
  await network.cut();
  await expect(phone.getByRole("status")).toHaveText("Connection lost; reconnecting…", { timeout: 30_000 });
  const missed = Array.from({ length: 12 }, (_, i) => `in the tunnel ${i + 1}`);
  for (const text of missed) {
    await box.fill(text);
    await box.press("Enter");
    await expect(desk.locator("li.msg").filter({ hasText: text }).locator(".delivery")).toHaveText("sent");
  }

  // Back online: it catches up by itself, no reload and no "Load older".
  await network.restore();
  await expect(phone.getByRole("status")).toHaveText("Live", { timeout: 30_000 });
  await expect(phone.locator("li.msg .body")).toHaveText(["before the tunnel", ...missed]);
  await expect(phone.getByRole("button", { name: "Load older" })).toHaveCount(0);

  // And it is live again.
  await box.fill("out of the tunnel");
  await box.press("Enter");
  await expect(phone.locator("li.msg .body").last()).toHaveText("out of the tunnel");
  await expect(phone.locator("li.msg .body")).toHaveCount(missed.length + 2);
});

test("a tab the server cut off for falling behind says so, then catches up by itself", async ({ page }) => {
  const slug = unique("slow");
  await register(page, unique("sam"));
  await page.getByLabel("Name", { exact: true }).fill("Slow Co");
  await page.getByLabel("URL name").fill(slug);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}$`));

  let admit = true;
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!admit) return void ws.close();
    ws.connectToServer();
    sockets.push(ws);
  });
  await open(page, `/o/${slug}/c/general`);
  await expect(page.getByRole("status")).toHaveText("Live");

  // What the server does to a connection whose queue overflowed: it says so,
  // then closes it (here played by the route, as the real case needs a
  // client that stops reading).
  admit = false;
  for (const ws of sockets.splice(0)) {
    ws.send(`42/${slug},["fell_behind",{"message":"This connection fell behind the channel's messages and was closed; reconnect to catch up."}]`);
    await ws.close();
  }
  await expect(page.getByRole("status")).toHaveText("This connection fell behind; catching up…");
  const sent = await page.request.post("/api/send_message", {
    form: { slug, channel: "general", client_id: unique("c"), body: "sent while it was behind" },
  });
  expect(sent.ok()).toBeTruthy();

  admit = true;
  await expect(page.getByRole("status")).toHaveText("Live", { timeout: 30_000 });
  await expect(page.locator("li.msg .body")).toHaveText(["sent while it was behind"]);
});
