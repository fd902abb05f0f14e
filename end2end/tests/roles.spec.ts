import { expect, type Page } from "@playwright/test";
import { call, open, register, unique, test } from "./helpers";

function channelLink(page: Page, name: string) {
  return page.getByRole("region", { name: "Channels" }).getByRole("link", { name: new RegExp(name) });
}

test("a supervisor channel is invisible to a member, appears when promoted, goes when demoted", async ({ browser }) => {
  const [ann, bob, slug] = [unique("ann"), unique("bob"), unique("sup")];
  const annPage = await (await browser.newContext()).newPage();
  await register(annPage, ann);
  await call(annPage.request, "create_org", { name: "Sup Co", slug });
  const invite = await call(annPage.request, "create_invite", { slug });
  const bobPage = await (await browser.newContext()).newPage();
  const problems: string[] = [];
  bobPage.on("pageerror", (e) => problems.push(e.message));
  await register(bobPage, bob);
  await call(bobPage.request, "accept_invite", { token: invite.token });

  // Ann (the owner) makes a supervisor channel from the sidebar's form.
  await open(annPage, `/o/${slug}`);
  await annPage.getByLabel("New channel").fill("leads");
  await annPage.getByLabel("Who sees it").selectOption("supervisor");
  await annPage.getByRole("button", { name: "Create", exact: true }).click();
  await expect(annPage).toHaveURL(new RegExp(`/o/${slug}/c/leads`));
  await expect(annPage.getByText("Supervisors only: members do not see it.")).toBeVisible();
  await expect(channelLink(annPage, "leads").getByRole("img", { name: "supervisors only" })).toBeVisible();

  // Bob, a member, has no trace of it, and may not make one.
  await open(bobPage, `/o/${slug}/c/general`);
  await expect(bobPage.getByRole("status")).toHaveText("Live");
  await expect(channelLink(bobPage, "general")).toBeVisible();
  await expect(channelLink(bobPage, "leads")).toHaveCount(0);
  await expect(bobPage.getByLabel("Who sees it").locator("option[value=supervisor]")).toHaveCount(0);

  // Ann promotes Bob on the people page; his open page shows the channel
  // without a reload.
  await open(annPage, `/o/${slug}/admin`);
  const bobRow = annPage.locator(`tr[data-username="${bob}"]`);
  await bobRow.getByRole("combobox", { name: `Role of ${bob}` }).selectOption("supervisor");
  await bobRow.getByRole("button", { name: "Change" }).click();
  await expect(bobRow.getByRole("combobox", { name: `Role of ${bob}` })).toHaveValue("supervisor");
  await expect(channelLink(bobPage, "leads")).toBeVisible();
  await expect(bobPage.getByRole("status")).toHaveText("Live");

  // Demoted: it disappears from his page, again without a reload.
  await bobRow.getByRole("combobox", { name: `Role of ${bob}` }).selectOption("member");
  await bobRow.getByRole("button", { name: "Change" }).click();
  await expect(bobRow.getByRole("combobox", { name: `Role of ${bob}` })).toHaveValue("member");
  await expect(channelLink(bobPage, "leads")).toHaveCount(0);
  await expect(channelLink(bobPage, "general")).toBeVisible();

  // Both changes are in the audit log, with who, whom and what.
  const audit = annPage.getByRole("region", { name: "Audit log" });
  const changes = audit.locator('tr[data-action="role_changed"]');
  await expect(changes).toHaveCount(2);
  await expect(changes.first()).toContainText(`changed the role of ${bob}`);
  await expect(changes.first()).toContainText("supervisor → member");
  await expect(audit.locator('tr[data-action="channel_created"]')).toContainText("#leads");
  expect(problems).toEqual([]);
});
