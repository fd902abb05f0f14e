import { expect } from "@playwright/test";
import { open, register, unique, PASSWORD, test } from "./helpers";

test("a wrong password is refused with a clear message, then the right one signs in", async ({ page }) => {
  const name = unique("sam");
  await register(page, name);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await open(page, "/");
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Username").fill(name);
  await form.getByLabel("Password").fill("not my password");
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(form.getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(page.getByTestId("whoami")).toHaveCount(0);

  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);
  await expect(page.getByRole("heading", { name: "Your organizations" })).toBeVisible();
});

test("registration problems are explained on the form", async ({ page }) => {
  const name = unique("tia");
  await register(page, name);
  await page.getByRole("button", { name: "Sign out" }).click();
  await open(page, "/");
  const form = page.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Username").fill(name);
  await form.getByLabel(/^Password/).fill("another password");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByRole("alert")).toContainText("is taken");
});

test("signed-out visitors are asked to sign in", async ({ page }) => {
  await open(page, "/o/nowhere");
  await expect(page.getByRole("alert")).toContainText("Please sign in first.");
});

test("signing out in one tab takes the other tabs offline", async ({ page, context }) => {
  const slug = unique("out");
  await register(page, unique("ola"));
  await page.getByLabel("Name", { exact: true }).fill("Sign Out Co");
  await page.getByLabel("URL name").fill(slug);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}$`));

  const other = await context.newPage();
  await open(other, `/o/${slug}/c/general`);
  await expect(other.getByRole("status")).toHaveText("Live");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(other.getByRole("status")).toHaveText("Live updates are off: Please sign in first.");
});
