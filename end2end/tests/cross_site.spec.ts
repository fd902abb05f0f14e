import { expect } from "@playwright/test";
import { open, register, unique, test } from "./helpers";

// Another site's page (here: another port of the same host, so the browser
// even sends the SameSite=Lax cookie) posts a form to Confab in the name of
// the signed-in person. The server refuses it and nothing changes.
test("a form posted from another site's page is refused", async ({ page, baseURL }) => {
  await register(page, unique("csrf"));
  const target = new URL(baseURL!);
  const attacker = `http://${target.hostname}:${Number(target.port) + 1}/prize`;
  const slug = unique("pwned").toLowerCase();
  await page.route(attacker, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!DOCTYPE html><form id="f" method="post" action="${baseURL}/api/create_org">
        <input name="name" value="Pwned"><input name="slug" value="${slug}"></form>
        <script>document.getElementById("f").submit()</script>`,
    }),
  );

  const refused = page.waitForResponse((r) => r.url().endsWith("/api/create_org"));
  await page.goto(attacker);
  const response = await refused;
  expect(response.status()).toBe(403);
  expect(await response.text()).toContain("came from another site");

  await open(page, "/");
  await expect(page.getByRole("heading", { name: "Your organizations" })).toBeVisible();
  await expect(page.getByText("Pwned")).toHaveCount(0);
});
