import { expect } from "@playwright/test";
import { open, register, unique, test } from "./helpers";

test("the URL name field accepts what the server accepts, and says why not", async ({ page }) => {
  await register(page, unique("uma"));
  const form = page.getByRole("form", { name: "Create an organization" });
  const slug = form.getByLabel("URL name");

  // The browser's own check (the `pattern` must compile, or it is ignored).
  for (const good of ["acme", "acme-2", "Acme-Corp", "a1"]) {
    await slug.fill(good);
    expect(await slug.evaluate((el: HTMLInputElement) => el.checkValidity()), good).toBe(true);
  }
  for (const bad of ["-acme", "acme-", "ac me", "a/b", "a"]) {
    await slug.fill(bad);
    expect(await slug.evaluate((el: HTMLInputElement) => el.checkValidity()), bad).toBe(false);
  }

  // The server says the same in a sentence when the browser lets one through.
  await form.getByLabel("Name", { exact: true }).fill("Dash Inc.");
  await slug.fill("-acme");
  await slug.evaluate((el: HTMLInputElement) => el.removeAttribute("pattern"));
  await form.getByRole("button", { name: "Create organization" }).click();
  await expect(form.getByRole("alert")).toHaveText(
    "A URL name has 2 to 32 lowercase letters, digits or dashes, and does not start or end with a dash.",
  );
});

test("the header switches between one's organizations", async ({ page }) => {
  await register(page, unique("sam"));
  const [first, second] = [unique("first"), unique("second")];
  for (const [name, slug] of [
    ["First Org", first],
    ["Second Org", second],
  ]) {
    const res = await page.request.post("/api/create_org", {
      form: { name, slug },
      maxRedirects: 0,
      headers: { Accept: "application/json" },
    });
    expect(res.status()).toBeLessThan(400);
  }
  await open(page, `/o/${first}`);
  const switcher = page.locator("details.org-switcher");
  await expect(switcher.locator("summary")).toHaveText("First Org");
  await switcher.locator("summary").click();
  await switcher.getByRole("link", { name: "Second Org" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${second}$`));
  await expect(page.getByRole("heading", { name: "Second Org" })).toBeVisible();
  await expect(switcher.locator("summary")).toHaveText("Second Org");
});
