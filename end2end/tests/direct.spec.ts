import { expect, type Page } from "@playwright/test";
import { call, open, register, unique, PASSWORD, test } from "./helpers";

function member(page: Page, name: string) {
  return page.getByRole("region", { name: "Members" }).locator("li.member").filter({ hasText: name });
}

function directLink(page: Page, name: string) {
  return page.getByRole("region", { name: "Direct messages" }).getByRole("link", { name: new RegExp(name) });
}

test("direct messages reach every device, with presence, typing and unread counts", async ({ browser }) => {
  const [ann, bob, slug] = [unique("ann"), unique("bob"), unique("dm")];
  // Ann on her laptop makes the organization and invites Bob.
  const laptop = await (await browser.newContext()).newPage();
  await register(laptop, ann);
  await call(laptop.request, "create_org", { name: "DM Co", slug });
  const invite = await call(laptop.request, "create_invite", { slug });
  // Ann's phone: a second device, signed in on its own.
  const phone = await (await browser.newContext()).newPage();
  await call(phone.request, "login", { username: ann, password: PASSWORD });
  // Bob, in a browser of his own.
  const bobPage = await (await browser.newContext()).newPage();
  // A happy path leaves the browser console clean: no failed loads, no panics.
  const problems: string[] = [];
  for (const page of [laptop, phone, bobPage]) {
    page.on("console", (m) => m.type() === "error" && problems.push(`${m.text()} (${m.location().url})`));
    page.on("pageerror", (e) => problems.push(e.message));
  }
  await register(bobPage, bob);
  await call(bobPage.request, "accept_invite", { token: invite.token });

  await open(laptop, `/o/${slug}`);
  await open(phone, `/o/${slug}/c/general`);
  await expect(phone.getByRole("status")).toHaveText("Live");
  await expect(member(laptop, ann)).toHaveAttribute("data-online", "true");
  await expect(member(laptop, bob)).toHaveAttribute("data-online", "false");

  // Bob comes online; Ann's laptop sees it without a reload.
  await open(bobPage, `/o/${slug}/c/general`);
  await expect(member(laptop, bob)).toHaveAttribute("data-online", "true");

  // Bob writes to Ann from the member list.
  await member(bobPage, ann).getByRole("button", { name: "Message" }).click();
  await expect(bobPage).toHaveURL(new RegExp(`/o/${slug}/c/dm:`));
  await expect(bobPage.getByRole("heading", { level: 1 })).toHaveText(ann);
  await expect(bobPage.getByRole("status")).toHaveText("Live");
  const box = bobPage.getByRole("textbox", { name: "Message" });
  await box.fill("hi Ann, got a minute?");
  await box.press("Enter");
  await expect(bobPage.locator("li.msg .delivery")).toHaveText("sent");

  // It appears on both of Ann's devices at once, with one unread.
  for (const page of [laptop, phone]) {
    await expect(directLink(page, bob).locator(".unread-count")).toHaveText("1");
  }

  // Ann opens it on her phone: read there, the laptop's count goes.
  await directLink(phone, bob).click();
  await expect(phone.getByRole("heading", { level: 1 })).toHaveText(bob);
  await expect(phone.locator("li.msg .body")).toHaveText(["hi Ann, got a minute?"]);
  await expect(phone.getByRole("status")).toHaveText("Live");
  await expect(directLink(laptop, bob).locator(".unread-count")).toHaveCount(0);
  // The phone's sidebar is as the server has it now: the conversation is
  // listed, read.
  await expect(directLink(phone, bob)).toBeVisible();
  await expect(directLink(phone, bob).locator(".unread-count")).toHaveCount(0);

  // Bob types (as a person does, over a few seconds: signs of typing go out
  // at most every 2.5 s): Ann sees it, and it goes once his message is there.
  await box.pressSequentially("sure, in five minutes", { delay: 150 });
  await expect(phone.locator(".typing")).toHaveText(`${bob} is typing…`);
  await box.press("Enter");
  await expect(phone.locator("li.msg .body")).toHaveText(["hi Ann, got a minute?", "sure, in five minutes"]);
  await expect(phone.locator(".typing")).toHaveText("");

  // Bob leaves: offline for Ann shortly after (not at once: a reload does not flicker).
  await bobPage.context().close();
  await expect(member(laptop, bob)).toHaveAttribute("data-online", "false");
  expect(problems).toEqual([]);
});
