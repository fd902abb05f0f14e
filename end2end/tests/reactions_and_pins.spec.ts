import { expect } from "@playwright/test";
import { message, twoInGeneral, test } from "./helpers";

test("reactions: picked by name, counted once per person, seen on the other screen at once", async ({ browser }) => {
  const { annPage, bobPage, problems } = await twoInGeneral(browser, "React Co");
  const box = annPage.getByRole("textbox", { name: "Message" });
  await box.fill("the release is out");
  await box.press("Enter");
  await expect(message(bobPage, "the release is out")).toBeVisible();

  // Bob opens the picker, searches by name, picks.
  const his = message(bobPage, "the release is out");
  await his.getByRole("button", { name: "Add a reaction" }).click();
  const picker = his.getByRole("dialog", { name: "Pick a reaction" });
  await picker.getByRole("searchbox", { name: "Search emoji" }).fill("party popper");
  await picker.getByRole("button", { name: "party popper" }).click();
  await expect(picker).toHaveCount(0);
  await expect(his.getByRole("button", { name: "🎉 1: take back your reaction" })).toHaveAttribute("aria-pressed", "true");

  // Ann sees it without reloading, and adds hers by pressing it.
  const hers = message(annPage, "the release is out");
  await hers.getByRole("button", { name: "🎉 1: react with 🎉" }).click();
  await expect(hers.getByRole("button", { name: "🎉 2: take back your reaction" })).toBeVisible();
  await expect(his.getByRole("button", { name: "🎉 2: take back your reaction" })).toBeVisible();

  // Bob takes his back; Escape closes a picker he opened.
  await his.getByRole("button", { name: "🎉 2: take back your reaction" }).click();
  await expect(hers.getByRole("button", { name: "🎉 1: take back your reaction" })).toBeVisible();
  await his.getByRole("button", { name: "Add a reaction" }).click();
  await his.getByRole("searchbox", { name: "Search emoji" }).press("Escape");
  await expect(his.getByRole("dialog", { name: "Pick a reaction" })).toHaveCount(0);

  // After a reload the count is the same.
  await bobPage.reload();
  await expect(message(bobPage, "the release is out").getByRole("button", { name: "🎉 1: react with 🎉" })).toBeVisible({ timeout: 30_000 });
  expect(problems).toEqual([]);
});

test("a pin shows on the other screen at once, and in the channel's pinned list", async ({ browser }) => {
  const { annPage, bobPage, problems } = await twoInGeneral(browser, "Pin Co");
  const box = annPage.getByRole("textbox", { name: "Message" });
  await box.fill("the runbook: **read before deploying**");
  await box.press("Enter");
  const hers = message(annPage, "the runbook");
  await hers.hover();
  await hers.getByRole("button", { name: "Pin this message" }).click();
  const his = message(bobPage, "the runbook");
  await expect(his.getByText("📌 Pinned")).toBeVisible();
  await bobPage.getByRole("button", { name: "📌 Pinned messages" }).click();
  await expect(bobPage.getByRole("list", { name: "Pinned messages" })).toContainText("read before deploying");
  await his.hover();
  await his.getByRole("button", { name: "Unpin this message" }).click();
  await expect(hers.getByText("📌 Pinned")).toHaveCount(0);
  expect(problems).toEqual([]);
});
