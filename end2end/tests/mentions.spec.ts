import { expect } from "@playwright/test";
import { open, twoInGeneral, test } from "./helpers";

test("a mention: completed from the keyboard, a badge on the other screen, cleared once read", async ({ browser }) => {
  const { bob, annPage: ann, bobPage, slug, problems } = await twoInGeneral(browser, "Mention Co");
  // Bob is elsewhere in the organization.
  await open(bobPage, `/o/${slug}`);
  const general = bobPage.getByRole("region", { name: "Channels" }).getByRole("link", { name: /general/ });

  // Ann types "@" and the start of his name; Tab completes it.
  const composer = ann.getByRole("textbox", { name: "Message" });
  await composer.pressSequentially(`@${bob.slice(0, 4)}`);
  const picker = ann.getByRole("listbox", { name: "People to mention" });
  await expect(picker.getByRole("option", { name: `@${bob}` })).toHaveAttribute("aria-selected", "true");
  await composer.press("Tab");
  await expect(composer).toHaveValue(`@${bob} `);
  await composer.pressSequentially("can you review the draft?");
  await composer.press("Enter");

  // Bob's #general shows the mention apart from the unread count.
  await expect(general.getByLabel("1 mentions")).toHaveText("@1");
  await expect(general.getByLabel("1 unread")).toBeVisible();

  // The Mentions view lists it; opening it reads the channel, and the badge goes.
  await bobPage.getByRole("link", { name: "@ Mentions" }).click();
  await bobPage.getByRole("link", { name: /can you review the draft\?/ }).click();
  await expect(bobPage).toHaveURL(new RegExp(`/o/${slug}/c/general$`));
  await expect(bobPage.locator("li.msg .body").last()).toHaveText(`@${bob} can you review the draft?`);
  await expect(general.getByLabel("1 mentions")).toHaveCount(0);

  // Members may not mention everyone, until Ann (an owner) lets them.
  const bobsComposer = bobPage.getByRole("textbox", { name: "Message" });
  await bobsComposer.pressSequentially("@chan");
  await expect(bobPage.getByRole("listbox", { name: "People to mention" })).toHaveCount(0);
  await open(ann, `/o/${slug}/admin`);
  const settings = ann.getByRole("form", { name: "Mention settings" });
  await settings.getByRole("checkbox", { name: /Members may mention everyone/ }).check();
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(ann.getByRole("region", { name: "Audit log" }).locator('tr[data-action="settings_changed"]')).toContainText(
    "members may mention @channel and @here",
  );
  await open(bobPage, `/o/${slug}/c/general`);
  await bobPage.getByRole("textbox", { name: "Message" }).pressSequentially("@chan");
  await expect(bobPage.getByRole("option", { name: "@channel" })).toBeVisible();
  expect(problems).toEqual([]);
});
