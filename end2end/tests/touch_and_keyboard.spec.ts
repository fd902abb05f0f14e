import { expect, type Locator, type Page } from "@playwright/test";
import { message, open, twoInGeneral, test } from "./helpers";

/** Presses `key` (Tab backwards by default) until `target` has the focus. */
async function tabTo(page: Page, target: Locator, key = "Shift+Tab") {
  for (let i = 0; i < 60; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${target} never got the focus by ${key}`);
}

/** A finger held on `target` for `ms`, as a phone's touch screen sends it. */
async function longPress(page: Page, target: Locator, ms = 800) {
  const box = await target.boundingBox();
  if (!box) throw new Error(`${target} is not on the screen`);
  const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
  await page.waitForTimeout(ms);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

test("on a phone a message's actions show when it is held down, and go when another is tapped", async ({ browser }) => {
  const { annPage: laptop, bobPage: bob, slug, problems } = await twoInGeneral(browser, "Touch Co");
  const composer = laptop.getByRole("textbox", { name: "Message" });
  for (const text of ["standup moves to 10", "bring the slides"]) {
    await composer.fill(text);
    await composer.press("Enter");
    await expect(message(bob, text)).toBeVisible();
  }

  // Ann's phone: a touch screen, where nothing hovers.
  const phoneContext = await browser.newContext({
    storageState: await laptop.context().storageState(),
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
  const phone = await phoneContext.newPage();
  await open(phone, `/o/${slug}/c/general`);
  await expect(phone.getByRole("status")).toHaveText("Live");
  const first = message(phone, "standup moves to 10");
  const second = message(phone, "bring the slides");
  await expect(first.getByRole("button", { name: "Edit this message" })).toBeHidden();
  await expect(first.getByRole("button", { name: "Add a reaction" })).toBeHidden();

  // Held down, the message shows its actions; she reacts from them.
  await longPress(phone, first.locator(".body"));
  await expect(first.getByRole("button", { name: "Edit this message" })).toBeVisible();
  await expect(second.getByRole("button", { name: "Edit this message" })).toBeHidden();
  await first.getByRole("button", { name: "Add a reaction" }).tap();
  const picker = first.getByRole("dialog", { name: "Pick a reaction" });
  await picker.getByRole("searchbox", { name: "Search emoji" }).fill("thumbs up");
  await picker.getByRole("button", { name: "thumbs up" }).tap();
  await expect(message(bob, "standup moves to 10").getByRole("button", { name: "👍 1: react with 👍" })).toBeVisible();

  // A tap on another message puts them away.
  await second.locator(".body").tap();
  await expect(first.getByRole("button", { name: "Edit this message" })).toBeHidden();
  await expect(first.getByRole("button", { name: "👍 1: take back your reaction" })).toBeVisible();

  // Held down again, she edits it there.
  await longPress(phone, second.locator(".body"));
  await second.getByRole("button", { name: "Edit this message" }).tap();
  const edited = phone.getByRole("form", { name: "Edit message" }).getByRole("textbox", { name: "Edited text" });
  await edited.fill("bring the slides and the demo");
  await edited.press("Enter");
  await expect(message(bob, "bring the slides and the demo")).toBeVisible();
  expect(problems).toEqual([]);
  await phoneContext.close();
});

test("through the keyboard alone: react, reply in a thread, close it", async ({ browser }) => {
  const { annPage: ann, bobPage: bob, problems } = await twoInGeneral(browser, "Keys Co");
  const composer = ann.getByRole("textbox", { name: "Message" });
  await composer.fill("who reviews #42?");
  await composer.press("Enter");
  const his = message(bob, "who reviews #42?");
  await expect(his).toBeVisible();

  // Bob, from his composer, goes back to the message's reaction button;
  // Enter opens the picker with its search focused, Enter picks the first found.
  const box = bob.getByRole("textbox", { name: "Message" });
  await box.focus();
  await tabTo(bob, his.getByRole("button", { name: "Add a reaction" }));
  await bob.keyboard.press("Enter");
  const search = his.getByRole("searchbox", { name: "Search emoji" });
  await expect(search).toBeFocused();
  await bob.keyboard.type("eyes");
  await bob.keyboard.press("Enter");
  await expect(message(ann, "who reviews #42?").getByRole("button", { name: "👀 1: react with 👀" })).toBeVisible();

  // To the message's Reply, Enter opens its thread; he types and sends.
  await tabTo(bob, his.getByRole("link", { name: "Reply in thread" }));
  await bob.keyboard.press("Enter");
  const thread = bob.getByRole("complementary", { name: "Thread" });
  const reply = thread.getByRole("textbox", { name: "Reply" });
  await tabTo(bob, reply, "Tab");
  await bob.keyboard.type("me, after lunch");
  await bob.keyboard.press("Enter");
  await expect(ann.getByRole("link", { name: "1 reply: open the thread" })).toBeVisible();

  // And closes it.
  await tabTo(bob, thread.getByRole("link", { name: "Close thread" }));
  await bob.keyboard.press("Enter");
  await expect(thread).toHaveCount(0);
  expect(problems).toEqual([]);
});
