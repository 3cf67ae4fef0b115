// The app's service worker: the shell works offline, open data is served fresh when the network answers and
// from the last copy when it does not, and push messages become notifications that open the right page.
const SHELL = "signage-shell-v3";
const DATA = "signage-data-v2";
const FILES = ["/", "/static/app.js", "/static/reconnect.js", "/static/app.css", "/static/icon.svg", "/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(FILES); }).then(function () {
    return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // Caches of an earlier version of the app go: a phone keeps only what this one uses.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== SHELL && name !== DATA; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/v1/open")) {
    event.respondWith(fetch(event.request).then(function (response) {
      const copy = response.clone();
      if (response.ok) caches.open(DATA).then(function (cache) { cache.put(event.request, copy); });
      return response;
    }).catch(function () {
      // Marked, so that the app knows this is the last copy and not the city now.
      return caches.match(event.request).then(function (cached) {
        if (!cached) return Response.error();
        const headers = new Headers(cached.headers);
        headers.set("X-Served-From", "cache");
        return cached.blob().then(function (body) {
          return new Response(body, { status: cached.status, headers: headers }); });
      });
    }));
  } else if (FILES.indexOf(url.pathname) >= 0) {
    event.respondWith(fetch(event.request).catch(function () { return caches.match(event.request); }));
  }
});

self.addEventListener("push", function (event) {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = { title: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(message.title || self.location.hostname, {
    body: message.body || "", icon: message.icon || "/static/icon.svg", tag: message.tag, lang: message.lang,
    data: { url: message.url || "/" } }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (windows) {
    for (const w of windows) { if ("focus" in w) { w.navigate(target); return w.focus(); } }
    return self.clients.openWindow(target);
  }));
});
