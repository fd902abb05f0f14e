import { expect } from "@playwright/test";
import { message, open, twoInGeneral, test } from "./helpers";

test("an author edits by keyboard; the other screen shows it at once, and the earlier text", async ({ browser }) => {
  const { annPage, bobPage, slug, problems } = await twoInGeneral(browser, "Edit Co");

  // Bob sends a typo; Up in the empty composer opens it for editing.
  const box = bobPage.getByRole("textbox", { name: "Message" });
  await box.fill("the deploy is at 15:00, plese check");
  await box.press("Enter");
  await expect(message(annPage, "plese check")).toBeVisible();
  await box.press("ArrowUp");
  const form = bobPage.getByRole("form", { name: "Edit message" });
  const edited = form.getByRole("textbox", { name: "Edited text" });
  await expect(edited).toBeFocused();
  await expect(edited).toHaveValue("the deploy is at 15:00, plese check");
  // Escape leaves it as it was.
  await edited.press("Escape");
  await expect(form).toHaveCount(0);
  await expect(message(bobPage, "plese check")).toBeVisible();
  // Enter saves.
  await box.press("ArrowUp");
  await edited.fill("the deploy is at **15:00**, please check");
  await edited.press("Enter");
  await expect(form).toHaveCount(0);

  // Ann sees the new text without reloading, marked edited; she cannot edit it.
  const shown = message(annPage, "please check");
  await expect(shown.locator(".body strong")).toHaveText("15:00");
  await expect(message(annPage, "plese check")).toHaveCount(0);
  await expect(shown.getByRole("button", { name: "Edit this message" })).toHaveCount(0);
  const versions = shown.getByRole("button", { name: "Edited: show earlier versions" });
  await versions.click();
  await expect(shown.getByRole("list", { name: "Earlier versions" })).toContainText("plese check");
  await versions.click();
  await expect(shown.getByRole("list", { name: "Earlier versions" })).toHaveCount(0);

  // After a reload it is still the new text, still marked edited.
  await open(annPage, `/o/${slug}/c/general`);
  await expect(message(annPage, "please check").getByRole("button", { name: "Edited: show earlier versions" })).toBeVisible();
  await expect(message(annPage, "plese check")).toHaveCount(0);
  expect(problems).toEqual([]);
});
