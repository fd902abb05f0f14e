import { expect } from "@playwright/test";
import { message, open, twoInGeneral, test } from "./helpers";

test("a thread: replies live beside the channel, read on the phone, cleared on the laptop", async ({ browser }) => {
  const { annPage: laptop, bobPage: bob, slug, problems } = await twoInGeneral(browser, "Thread Co");
  // Ann asks in #general from her laptop.
  const composer = laptop.getByRole("textbox", { name: "Message" });
  await composer.fill("lunch at noon?");
  await composer.press("Enter");
  await expect(message(bob, "lunch at noon?")).toBeVisible();

  // Ann's phone: the same session, a phone's screen.
  const phoneContext = await browser.newContext({
    storageState: await laptop.context().storageState(),
    viewport: { width: 390, height: 844 },
  });
  const phone = await phoneContext.newPage();
  await open(phone, `/o/${slug}/c/general`);
  await expect(phone.getByRole("status")).toHaveText("Live");

  // Bob replies in its thread, from the keyboard; the thread opens beside #general.
  await message(bob, "lunch at noon?").hover();
  await message(bob, "lunch at noon?").getByRole("link", { name: "Reply in thread" }).click();
  const thread = bob.getByRole("complementary", { name: "Thread" });
  await expect(thread.locator("li.msg").first()).toContainText("lunch at noon?");
  const reply = thread.getByRole("textbox", { name: "Reply" });
  await reply.fill("yes, the usual place");
  await reply.press("Enter");
  await expect(thread.locator("li.msg .body")).toHaveText(["lunch at noon?", "yes, the usual place"]);
  // A reply stays in its thread: #general's list does not show it.
  await expect(message(bob, "yes, the usual place")).toHaveCount(1);

  // Ann's laptop: the message says it has a reply, and Threads counts it;
  // #general does not.
  await expect(laptop.getByRole("link", { name: "1 reply: open the thread" })).toBeVisible();
  const threadsLink = laptop.getByRole("region", { name: "Threads and mentions" }).getByRole("link", { name: /Threads/ });
  await expect(threadsLink.locator(".unread-count")).toHaveText("1");
  await expect(message(laptop, "yes, the usual place")).toHaveCount(0);

  // She reads it on the phone, from the Threads view.
  await open(phone, `/o/${slug}/threads`);
  await phone.getByRole("link", { name: /lunch at noon\?/ }).click();
  const onPhone = phone.getByRole("complementary", { name: "Thread" });
  await expect(onPhone.locator("li.msg .body")).toHaveText(["lunch at noon?", "yes, the usual place"]);
  await expect(onPhone.getByRole("button", { name: "Following" })).toBeVisible();

  // The laptop's count clears by itself.
  await expect(threadsLink.locator(".unread-count")).toHaveCount(0);

  // "Also send to #general": the reply shows in the channel too, on every screen.
  await reply.fill("I'll book a table");
  await thread.getByRole("checkbox", { name: "Also send to #general" }).check();
  await reply.press("Enter");
  await expect(message(laptop, "I'll book a table")).toBeVisible();
  await expect(laptop.getByRole("link", { name: "2 replies: open the thread" })).toBeVisible();
  await expect(onPhone.locator("li.msg .body")).toHaveText([
    "lunch at noon?",
    "yes, the usual place",
    "I'll book a table",
  ]);
  expect(problems).toEqual([]);
  await phoneContext.close();
});
