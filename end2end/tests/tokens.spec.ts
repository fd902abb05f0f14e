import { expect } from "@playwright/test";
import { open, register, unique, test } from "./helpers";

test("an API token is shown once, works as a bearer token, and stops when revoked", async ({ page, request }) => {
  const me = unique("bot");
  await register(page, me);
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("API tokens");
  await page.getByLabel("Name (what will use it)").fill("deploy bot");
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token");
  await expect(shown).toHaveValue(/^confab_/);
  const token = await shown.inputValue();
  await expect(page.getByRole("list", { name: "Your tokens" })).toContainText("deploy bot");

  // A script with only the token is this person.
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const whoami = await request.post("/api/me", { headers });
  expect((await whoami.json()).username).toBe(me);

  // Shown once: after a reload only its name is listed.
  await open(page, "/tokens");
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Your tokens" })).toContainText("deploy bot");
  await page.getByRole("form", { name: "Revoke deploy bot" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("You have no tokens.")).toBeVisible();
  const after = await request.post("/api/me", { headers });
  expect(await after.json()).toBeNull();
});
