import { expect } from "@playwright/test";
import { call, message, twoInGeneral, test } from "./helpers";

// A 2 x 2 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==",
  "base64",
);

test("a picture sent is seen on the other screen; an HTML or SVG file only ever downloads", async ({ browser }) => {
  const { annPage: ann, bobPage: bob, slug, problems } = await twoInGeneral(browser, "Files Co");
  const upload = async (name: string, type: string, data: Buffer) => {
    const res = await ann.request.post(`/api/upload?slug=${slug}&channel=general&name=${name}`, {
      data,
      headers: { "content-type": type },
    });
    expect(res.status(), await res.text()).toBe(201);
    return (await res.json()).id as number;
  };
  const logo = await upload("logo.png", "image/png", PNG);
  await call(ann.request, "send_message", { slug, channel: "general", client_id: "pic", body: "our logo", "files[0]": String(logo) });
  const picture = message(bob, "our logo").getByRole("img", { name: "logo.png" });
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);
  // It opens in full over the page, and Escape puts it away.
  await picture.click();
  const viewer = bob.getByRole("dialog", { name: "Picture: logo.png" });
  await expect(viewer.getByRole("img", { name: "logo.png" })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "Download" })).toHaveAttribute("download", "logo.png");
  await bob.keyboard.press("Escape");
  await expect(viewer).toHaveCount(0);

  // Pages and drawings that carry script are offered as downloads, never run.
  const page = await upload("page.html", "text/html", Buffer.from("<script>document.title='pwned'</script>"));
  const drawing = await upload("logo.svg", "image/svg+xml", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>document.title="pwned"</script></svg>'));
  await call(ann.request, "send_message", {
    slug, channel: "general", client_id: "files", body: "the files", "files[0]": String(page), "files[1]": String(drawing),
  });
  const files = message(bob, "the files");
  await expect(files.getByRole("link", { name: /page\.html/ })).toHaveAttribute("download", "page.html");
  await expect(files.getByRole("link", { name: /logo\.svg/ })).toBeVisible();
  for (const [id, name] of [[page, "page.html"], [drawing, "logo.svg"]] as const) {
    const opened = await bob.context().newPage();
    const [download] = await Promise.all([
      opened.waitForEvent("download"),
      opened.goto(`/api/files/${slug}/${id}`).catch(() => null),
    ]);
    expect(download.suggestedFilename()).toBe(name);
    expect(await opened.title()).not.toBe("pwned");
    await opened.close();
  }

  // The owner sees what the organization keeps in files.
  await ann.goto(`/o/${slug}/admin`);
  const kept = ann.getByRole("region", { name: "Files" });
  await expect(kept).toContainText("kept in files");
  await expect(kept).toContainText("One file may be at most 25 MiB.");
  expect(problems).toEqual([]);
});

test("a picture pasted into the composer, or a file attached, is seen on the other screen", async ({ browser }) => {
  const { annPage: ann, bobPage: bob, problems } = await twoInGeneral(browser, "Paste Co");
  const composer = ann.getByRole("textbox", { name: "Message" });
  await composer.click();
  // A screenshot on the clipboard, pasted.
  await composer.evaluate((box, bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
    box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, [...PNG]);
  const waiting = ann.getByRole("list", { name: "Files to send" });
  await expect(waiting.getByRole("listitem")).toHaveCount(1);
  await expect(waiting.getByText(/^\d+ bytes$/)).toBeVisible();
  await composer.press("Enter");
  await expect(waiting).toHaveCount(0);
  const pasted = bob.locator("li.msg .attachments").getByRole("img", { name: /^pasted-\d+\.png$/ });
  await expect(pasted).toBeVisible();
  await expect.poll(() => pasted.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);

  // A file picked with the attach button, sent with words.
  await ann.getByLabel("Attach files").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("see attached") });
  await expect(waiting.getByText("12 bytes")).toBeVisible();
  await composer.fill("the notes");
  await composer.press("Enter");
  await expect(message(bob, "the notes").getByRole("link", { name: /notes\.txt/ })).toBeVisible();
  expect(problems).toEqual([]);
});
