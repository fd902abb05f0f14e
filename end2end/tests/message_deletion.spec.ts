import { expect, type Page } from "@playwright/test";
import { message, open, twoInGeneral, test } from "./helpers";

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

test("a deleted message is gone for everyone at once; owners delete anyone's, members only their own", async ({
  browser,
}) => {
  const { ann, bob, annPage, bobPage, slug, problems } = await twoInGeneral(browser, "Del Co");
  // The browser asks before deleting; the person says yes.
  for (const page of [annPage, bobPage]) page.on("dialog", (d) => d.accept());

  await send(annPage, "welcome, everyone");
  await send(bobPage, "my password is hunter2");
  await expect(message(annPage, "hunter2")).toBeVisible();
  await expect(message(bobPage, "welcome, everyone")).toBeVisible();

  // Bob may delete his own message, not Ann's.
  await expect(message(bobPage, "welcome, everyone").getByRole("button", { name: "Delete this message" })).toHaveCount(0);
  const mine = message(bobPage, "hunter2");
  await mine.hover();
  await mine.getByRole("button", { name: "Delete this message" }).click();
  for (const page of [bobPage, annPage]) {
    await expect(page.getByText("hunter2")).toHaveCount(0);
    await expect(page.locator("li.msg.deleted")).toHaveText(new RegExp(`${bob}.*This message was deleted\\.`));
  }

  // Ann, the owner, deletes a message of Bob's; it stays deleted after a reload.
  await send(bobPage, "something rude");
  const rude = message(annPage, "something rude");
  await rude.hover();
  await rude.getByRole("button", { name: "Delete this message" }).click();
  await expect(message(bobPage, "something rude")).toHaveCount(0);
  await open(bobPage, `/o/${slug}/c/general`);
  await expect(bobPage.locator("li.msg.deleted")).toHaveCount(2);
  await expect(message(bobPage, "welcome, everyone")).toBeVisible();

  // A row deleted later keeps its place: "alpha" is followed by the (unseen)
  // deletion of an older message, then by "omega".
  await open(annPage, `/o/${slug}/c/general`);
  await expect(annPage.getByRole("status")).toHaveText("Live");
  await expect(bobPage.getByRole("status")).toHaveText("Live");
  await send(bobPage, "alpha");
  await expect(message(annPage, "alpha")).toBeVisible();
  const welcome = message(annPage, "welcome, everyone");
  await welcome.hover();
  await welcome.getByRole("button", { name: "Delete this message" }).click();
  await expect(message(bobPage, "welcome, everyone")).toHaveCount(0);
  await send(bobPage, "omega");
  await expect(message(annPage, "omega")).toBeVisible();
  const alpha = message(bobPage, "alpha");
  await alpha.hover();
  await alpha.getByRole("button", { name: "Delete this message" }).click();
  for (const page of [bobPage, annPage]) {
    await expect(page.getByText("alpha")).toHaveCount(0);
    await expect(page.locator("li.msg").last()).toContainText("omega");
    await expect(page.locator("li.msg.deleted")).toHaveCount(4);
  }

  // The deletions are in the audit log: who, in which channel, whose.
  await open(annPage, `/o/${slug}/admin`);
  const deletions = annPage.getByRole("region", { name: "Audit log" }).locator('tr[data-action="message_deleted"]');
  await expect(deletions).toHaveCount(4);
  // Newest first: Bob's "alpha", Ann's own "welcome", Bob's "something rude" by Ann, Bob's own.
  const row = (i: number) => deletions.nth(i).getByRole("cell");
  await expect(row(0).nth(1)).toHaveText(bob);
  await expect(row(1).nth(3)).toHaveText(new RegExp(`^message \\d+ by ${ann}$`));
  await expect(row(2).nth(1)).toHaveText(ann);
  await expect(row(2).nth(2)).toHaveText("deleted a message in #general");
  await expect(row(2).nth(3)).toHaveText(new RegExp(`^message \\d+ by ${bob}$`));
  await expect(row(3).nth(1)).toHaveText(bob);
  expect(problems).toEqual([]);
});
