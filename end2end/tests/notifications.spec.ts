import { expect } from "@playwright/test";
import { open, register, test, unique } from "./helpers";

test("the notifications page asks the browser, and says where this device stands", async ({ browser }) => {
  // The browser says no (headless Chromium does, unless told otherwise).
  const refused = await (await browser.newContext()).newPage();
  await register(refused, unique("nia"));
  await refused.getByRole("link", { name: "Notifications" }).click();
  await expect(refused).toHaveURL(/\/notifications$/);
  await expect(refused.locator("body[data-hydrated]")).toBeAttached();
  const status = refused.getByRole("status");
  await expect(status).toHaveText("Notifications are off on this device.");
  await refused.getByRole("button", { name: "Turn on notifications on this device" }).click();
  await expect(refused.getByText(/blocked for this site|did not allow notifications/)).toBeVisible();

  // Allowed: the service worker is registered, and the browser asks its
  // own push service for a subscription (none can be reached from these
  // machines, which the page says plainly).
  const allowed = await (await browser.newContext({ permissions: ["notifications"] })).newPage();
  await register(allowed, unique("ned"));
  await open(allowed, "/notifications");
  await allowed.getByRole("button", { name: "Turn on notifications on this device" }).click();
  await expect(allowed.getByRole("alert").or(allowed.getByText("Notifications are on on this device."))).toBeVisible({ timeout: 20_000 });
  const worker = await allowed.evaluate(async () => (await navigator.serviceWorker.getRegistration("/"))?.active?.scriptURL ?? "");
  expect(worker).toMatch(/\/sw\.js$/);
  // The app can be installed: its manifest names it and its icons.
  const manifest = await (await allowed.request.get("/manifest.webmanifest")).json();
  expect(manifest.name).toBe("Confab");
  expect(manifest.display).toBe("standalone");
  expect((await allowed.request.get(manifest.icons[0].src)).headers()["content-type"]).toBe("image/png");
});
