import { expect } from "@playwright/test";
import { unique, PASSWORD, test } from "./helpers";

// Before the wasm has loaded (or without it at all), the forms still work:
// they post to the server functions, which redirect back with the outcome.
test.use({ javaScriptEnabled: false });

test("without JavaScript: register, create an organization, and see form errors", async ({ page }) => {
  const name = unique("noj");
  const slug = unique("nojs");

  await page.goto("/");
  const register = page.getByRole("form", { name: "Create an account" });
  await register.getByLabel("Username").fill(name);
  await register.getByLabel(/^Password/).fill(PASSWORD);
  await register.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);

  const create = page.getByRole("form", { name: "Create an organization" });
  await create.getByLabel("Name", { exact: true }).fill("No Script Inc.");
  await create.getByLabel("URL name").fill(slug);
  await create.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}$`));
  await expect(page.getByRole("heading", { name: "No Script Inc." })).toBeVisible();

  // An invite link: made, shown, listed with its expiry, and revoked.
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = page.getByTestId("invite-link");
  await expect(link).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/invite\/[0-9a-f]{64}$/);
  const invites = page.getByRole("list", { name: "Working invite links" });
  await expect(invites.getByRole("listitem")).toHaveCount(1);
  await expect(invites).toContainText(`Made by ${name}, works until`);
  await invites.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("None: every link made so far has expired or been revoked.")).toBeVisible();
  await expect(page.getByTestId("invite-link")).toHaveCount(0);

  // The same URL name again: the form comes back with the reason. (The error
  // travels in the URL, which anyone can write, so the page shows only the
  // sentence of its code, never text from the URL.)
  await page.goto("/");
  await create.getByLabel("Name", { exact: true }).fill("Copycat");
  await create.getByLabel("URL name").fill(slug);
  await create.getByRole("button", { name: "Create organization" }).click();
  await expect(create.getByRole("alert")).toHaveText("That name is taken; please choose another.");

  await page.getByRole("button", { name: "Sign out" }).click();
  const signIn = page.getByRole("form", { name: "Sign in" });
  await signIn.getByLabel("Username").fill(name);
  await signIn.getByLabel("Password").fill("not my password");
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await expect(signIn.getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(page.getByTestId("whoami")).toHaveCount(0);

  // The page came back fresh: fill both fields again, with the right password.
  await signIn.getByLabel("Username").fill(name);
  await signIn.getByLabel("Password").fill(PASSWORD);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);
  await expect(page).not.toHaveURL(/__err/);
});
