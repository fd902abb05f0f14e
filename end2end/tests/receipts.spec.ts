import { expect } from "@playwright/test";
import { call, open, test, twoInGeneral } from "./helpers";

test("read receipts in a direct conversation: seen once the other person has read it", async ({ browser }) => {
  const { bob, annPage: ann, bobPage, slug, problems } = await twoInGeneral(browser, "Receipt Co");
  const dm = await call(ann.request, "open_direct", { slug, "usernames[0]": bob });
  await open(ann, `/o/${slug}/c/${dm.name}`);
  await expect(ann.getByRole("status")).toHaveText("Live");
  const composer = ann.getByRole("textbox", { name: "Message" });
  await composer.fill("are you around?");
  await composer.press("Enter");
  await expect(ann.locator("li.msg .delivery")).toHaveText("sent");
  await expect(ann.locator(".seen")).toHaveText("");

  // Bob opens the conversation: Ann's screen says he has seen it, live.
  await open(bobPage, `/o/${slug}/c/${dm.name}`);
  await expect(bobPage.locator("li.msg .body")).toHaveText(["are you around?"]);
  await expect(ann.locator(".seen")).toHaveText(`Seen by ${bob}`);
  expect(problems).toEqual([]);
});
