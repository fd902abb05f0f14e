import { expect, type Page } from "@playwright/test";
import { open, register, unique, test } from "./helpers";

async function send(page: Page, text: string, how: "enter" | "button") {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  if (how === "enter") await box.press("Enter");
  else await page.getByRole("button", { name: "Send" }).click();
}

function message(page: Page, text: string) {
  return page.locator("li.msg").filter({ hasText: text });
}

test("two colleagues chat live in a channel, and the history stays", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  const colleague = await (await browser.newContext()).newPage();
  // A happy path leaves the browser console clean: no failed loads, no panics.
  const problems: string[] = [];
  for (const page of [owner, colleague]) {
    page.on("console", (m) => m.type() === "error" && problems.push(`${m.text()} (${m.location().url})`));
    page.on("pageerror", (e) => problems.push(e.message));
  }
  const [ownerName, colleagueName, slug] = [unique("olga"), unique("carl"), unique("org")];

  // The owner creates an organization and a channel.
  await register(owner, ownerName);
  await owner.getByLabel("Name", { exact: true }).fill("Acme Test");
  await owner.getByLabel("URL name").fill(slug);
  await owner.getByRole("button", { name: "Create organization" }).click();
  await expect(owner).toHaveURL(new RegExp(`/o/${slug}$`));
  await expect(owner.getByRole("heading", { name: "Acme Test" })).toBeVisible();
  await expect(owner.locator("body[data-hydrated]")).toBeAttached();
  await owner.getByLabel("New channel").fill("design");
  await owner.getByRole("button", { name: "Create", exact: true }).click();
  await expect(owner).toHaveURL(new RegExp(`/o/${slug}/c/design$`));

  // ... and invites the colleague.
  await open(owner, `/o/${slug}`);
  await owner.getByRole("button", { name: "Create invite link" }).click();
  const invitePath = await owner.getByTestId("invite-link").getAttribute("href");
  expect(invitePath).toMatch(/^\/invite\/[0-9a-f]{64}$/);

  // The colleague signs up from the invite link and joins.
  await open(colleague, invitePath!);
  const form = colleague.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Username").fill(colleagueName);
  await form.getByLabel(/^Password/).fill("correct horse battery");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(colleague.getByRole("heading", { name: "Join Acme Test" })).toBeVisible();
  await colleague.getByRole("button", { name: "Join Acme Test" }).click();
  await expect(colleague).toHaveURL(new RegExp(`/o/${slug}$`));
  await expect(colleague.getByText("2 members")).toBeVisible();

  // Both open #design; the colleague joins it.
  await open(colleague, `/o/${slug}/c/design`);
  await colleague.getByRole("button", { name: "Join channel" }).click();
  await expect(colleague.getByRole("textbox", { name: "Message" })).toBeVisible();
  await open(owner, `/o/${slug}/c/design`);
  await expect(owner.getByRole("status")).toHaveText("Live");
  await expect(colleague.getByRole("status")).toHaveText("Live");
  // Joining is part of the channel's history, shown between the messages.
  await expect(owner.locator("li.event")).toHaveText([new RegExp(`^${colleagueName} joined the channel`)]);

  // They talk; each sees the other's message appear without reloading.
  await send(owner, "Hello from the owner", "enter");
  await expect(message(owner, "Hello from the owner").locator(".delivery")).toHaveText("sent");
  await expect(message(colleague, "Hello from the owner")).toContainText(ownerName);
  // While the colleague types, the owner sees it; the message ends it.
  await colleague.getByRole("textbox", { name: "Message" }).pressSequentially("Hi", { delay: 50 });
  await expect(owner.locator(".typing")).toHaveText(`${colleagueName} is typing…`);
  await expect(colleague.locator(".typing")).toHaveText("");
  await send(colleague, "Hi! Glad to be here", "button");
  await expect(message(owner, "Hi! Glad to be here")).toContainText(colleagueName);
  await expect(owner.locator(".typing")).toHaveText("");
  await expect(owner.getByRole("textbox", { name: "Message" })).toHaveValue("");

  // After a reload the history is still there, in order, once each.
  await colleague.reload();
  await expect(colleague.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
  const bodies = colleague.locator("li.msg .body");
  await expect(bodies).toHaveText(["Hello from the owner", "Hi! Glad to be here"]);
  await expect(colleague.locator("li.event")).toHaveText([new RegExp(`^${colleagueName} joined the channel`)]);
  await expect(colleague.getByRole("status")).toHaveText("Live");
  await send(owner, "Still here after your reload", "enter");
  await expect(message(colleague, "Still here after your reload")).toBeVisible();
  await expect(bodies).toHaveCount(3);

  // Each person has an avatar of their initials; a day divider heads the day.
  await expect(message(colleague, "Hello from the owner").locator(".avatar")).toHaveText(ownerName[0].toUpperCase());
  await expect(colleague.getByRole("separator", { name: /^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}$/ })).toHaveCount(1);

  // Formatting shows live and as the server renders it; markup typed is text.
  await send(owner, "**bold** and [the docs](https://example.com/docs) <b>not bold</b>", "enter");
  for (const reload of [false, true]) {
    if (reload) {
      await colleague.reload();
      await expect(colleague.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
    }
    const shown = message(colleague, "the docs").locator(".body");
    await expect(shown.locator("strong")).toHaveText("bold");
    const link = shown.getByRole("link", { name: "the docs" });
    await expect(link).toHaveAttribute("href", "https://example.com/docs");
    await expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
    await expect(shown).toContainText("<b>not bold</b>");
    await expect(shown.locator("b")).toHaveCount(0);
    // Right after another of the owner's: under the same name.
    await expect(message(colleague, "the docs")).toHaveClass(/grouped/);
    await expect(message(colleague, "Still here after your reload")).not.toHaveClass(/grouped/);
  }
  expect(problems).toEqual([]);

  await owner.context().close();
  await colleague.context().close();
});
