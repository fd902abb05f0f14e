import { expect } from "@playwright/test";
import { call, message, twoInGeneral, test } from "./helpers";

test("search from the top bar, then open the message in its place in the channel", async ({ browser }) => {
  const { annPage: ann, bobPage: bob, slug, problems } = await twoInGeneral(browser, "Search Co");
  await call(ann.request, "send_message", { slug, channel: "general", client_id: "target", body: "the **deploy-production** checklist is ready" });
  // Enough after it that it is not on the channel's first page (paced
  // under the sending rate, 10 a second).
  for (let i = 0; i < 55; i++) {
    await ann.waitForTimeout(110);
    await call(ann.request, "send_message", { slug, channel: "general", client_id: `f${i}`, body: `filler ${i}` });
  }
  await expect(message(bob, "filler 54")).toBeVisible();

  // Bob searches part of a word from the top bar.
  const box = bob.getByRole("search", { name: "Search this organization" }).getByRole("searchbox", { name: "Search messages" });
  await box.fill("ploy-prod");
  await box.press("Enter");
  await expect(bob).toHaveURL(new RegExp(`/o/${slug}/search\\?q=ploy-prod`));
  const results = bob.getByRole("list", { name: "Search results" });
  await expect(results.getByRole("link")).toHaveCount(1);
  await expect(results.locator("mark")).toHaveText(["ploy-prod"]);

  // What is not there says so; a word too short is left out, and said so.
  const again = bob.getByRole("search", { name: "Search messages" }).getByRole("searchbox");
  await again.fill("no such words anywhere");
  await again.press("Enter");
  await expect(bob.getByText("Nothing found.")).toBeVisible();

  // The hit opens #general at the message, marked, in view.
  await bob.goBack();
  await results.getByRole("link").click();
  await expect(bob).toHaveURL(new RegExp(`/o/${slug}/c/general\\?at=\\d+`));
  const found = message(bob, "checklist is ready");
  await expect(found).toHaveClass(/found/);
  await expect(found).toBeInViewport();
  expect(problems).toEqual([]);
});
