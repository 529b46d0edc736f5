// Caravan's service worker. The app shell is cached at install; pages and asset descriptions
// come from the network first and fall back to what is kept; media saved for offline (by
// offline.js) is served from Cache Storage, byte ranges included, so the player can seek.
const SHELL = "caravan-shell-v5";
const PAGES = "caravan-pages-v1";
const OFFLINE = "caravan-offline-v1";
const SHELL_FILES = [
  "/static/caravan.css", "/static/app.js", "/static/queue.js", "/static/player.js", "/static/offline.js", "/", "/offline",
  "/manifest.webmanifest", "/favicon.ico", "/icons/icon-192.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const keep = new Set([SHELL, PAGES, OFFLINE]);
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => !keep.has(k)).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// A 206 of the requested range of a kept response (one range, as media elements ask).
async function ranged(request, response) {
  const range = request.headers.get("range");
  const blob = await response.blob();
  const type = response.headers.get("content-type") || "application/octet-stream";
  const m = range && /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m) {
    return new Response(blob, { headers: { "Content-Type": type, "Content-Length": String(blob.size), "Accept-Ranges": "bytes" } });
  }
  let start = m[1] === "" ? blob.size - Number(m[2]) : Number(m[1]);
  let end = m[1] !== "" && m[2] !== "" ? Number(m[2]) : blob.size - 1;
  start = Math.max(0, start);
  end = Math.min(end, blob.size - 1);
  if (start > end) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${blob.size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: {
      "Content-Type": type,
      "Content-Length": String(end - start + 1),
      "Content-Range": `bytes ${start}-${end}/${blob.size}`,
      "Accept-Ranges": "bytes",
    },
  });
}

async function networkFirst(request, keepIn) {
  try {
    const res = await fetch(request);
    if (res.ok && keepIn) {
      const copy = res.clone();
      caches.open(keepIn).then((c) => c.put(request, copy));
    }
    return res;
  } catch (e) {
    const hit = await caches.match(request, { ignoreVary: true, ignoreSearch: request.mode !== "navigate" && new URL(request.url).pathname.startsWith("/static/") });
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/media/")) {
    // Kept under the URL's path; copies saved before media URLs carried an extension
    // (/media/{sha} rather than /media/{sha}.mp4) are found too.
    const bare = url.pathname.replace(/^(\/media\/[0-9a-f]{64})\.[a-z0-9]+$/, "$1");
    event.respondWith(
      caches.open(OFFLINE)
        .then((c) => c.match(`${url.origin}${url.pathname}`).then((hit) => hit || c.match(`${url.origin}${bare}`)))
        .then((hit) => (hit ? ranged(req, hit) : fetch(req))),
    );
    return;
  }
  // The optional viewer libraries are pinned versions: kept once fetched, so a 3D unit that was
  // opened online also works offline.
  if (url.pathname.startsWith("/vendor/")) {
    event.respondWith(
      caches.open(SHELL).then((c) =>
        c.match(req).then((hit) =>
          hit || fetch(req).then((res) => {
            if (res.ok) c.put(req, res.clone());
            return res;
          })),
      ),
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(networkFirst(req, SHELL));
    return;
  }
  if (url.pathname.startsWith("/api/v1/assets/")) {
    event.respondWith(networkFirst(req, null));
    return;
  }
  if (req.mode === "navigate") {
    // Never kept and no network: the offline start page, with the courses saved here.
    event.respondWith(networkFirst(req, PAGES).catch(() => caches.match("/offline")));
  }
});
