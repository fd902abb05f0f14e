// Confab's service worker: shows the push notifications the server sends
// (their text was encrypted for this device alone; the browser decrypted
// it), and opens the message when one is clicked, in a Confab window
// already open if there is one.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let note = {};
  try {
    note = event.data ? event.data.json() : {};
  } catch (_) {
    note = {};
  }
  const title = typeof note.title === "string" && note.title ? note.title : "Confab";
  const tag = typeof note.tag === "string" && note.tag ? note.tag : undefined;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof note.body === "string" ? note.body : "",
      tag,
      // A newer message of the same channel is told, not only shown.
      renotify: tag !== undefined,
      icon: "/icon-192.png",
      data: { url: typeof note.url === "string" ? note.url : "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only a page of this site: the address is resolved against it.
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const w of windows) {
        if (w.url === url.href) return w.focus();
      }
      // A Confab window this worker controls goes to the message; else a new one opens.
      const controlled = await self.clients.matchAll({ type: "window" });
      if (controlled.length > 0) {
        try {
          const w = await controlled[0].navigate(url.href);
          if (w) return w.focus();
        } catch (_) {
          // Fall through to a new window.
        }
      }
      return self.clients.openWindow(url.href);
    })(),
  );
});
