// "Save for offline": downloads a course at the chosen quality from its offline manifest, checks
// every file's SHA-256, and keeps the files, the course's pages and its asset descriptions in
// Cache Storage, where the service worker serves them (with byte ranges) when there is no
// network. What was saved is remembered in localStorage, so the player picks the saved rung.

const section = document.querySelector("section.offline[data-course]");
const CACHE = "caravan-offline-v1";

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function mediaKey(url) {
  const u = new URL(url, location.href);
  return `${u.origin}${u.pathname}`;
}

async function controlled() {
  if (!("serviceWorker" in navigator)) throw new Error("this browser cannot keep courses offline");
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((ok) => navigator.serviceWorker.addEventListener("controllerchange", ok, { once: true }));
  }
}

async function download(file, onBytes) {
  const res = await fetch(file.url, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`${file.path}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    onBytes(value.byteLength);
  }
  const blob = new Blob(chunks, { type: file.mime });
  const digest = hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  if (digest !== file.sha256) throw new Error(`${file.path}: the download is damaged (hash mismatch)`);
  return blob;
}

async function save(courseId, quality, ui) {
  await controlled();
  const manifest = await (await fetch(`/api/v1/courses/${courseId}/offline?quality=${quality}`, { credentials: "same-origin" })).json();
  const cache = await caches.open(CACHE);
  const total = Math.max(manifest.total_bytes, 1);
  let done = 0;
  for (const file of manifest.files) {
    const blob = await download(file, (n) => {
      done += n;
      ui.progress(Math.min(99, Math.floor((done * 100) / total)));
    });
    await cache.put(mediaKey(file.url), new Response(blob, {
      headers: { "Content-Type": file.mime, "Content-Length": String(blob.size) },
    }));
  }
  // The pages and asset descriptions the player needs, fetched now while online.
  const units = [...document.querySelectorAll("ol.units a[href]")].map((a) => a.getAttribute("href"));
  const assets = [...new Set(manifest.files.map((f) => `/api/v1/assets/${f.asset_id}`))];
  for (const path of [`/courses/${courseId}`, ...units, ...assets, "/static/player.js", "/static/offline.js"]) {
    const res = await fetch(path, { credentials: "same-origin" });
    if (res.ok) await cache.put(new URL(path, location.href).href, res);
  }
  const saved = JSON.parse(localStorage.getItem("caravan-offline-sha") || "[]");
  localStorage.setItem("caravan-offline-sha", JSON.stringify([...new Set([...saved, ...manifest.files.map((f) => f.sha256)])]));
  localStorage.setItem(`caravan-offline:${courseId}`, JSON.stringify({
    title: manifest.title || document.querySelector("h1")?.textContent || courseId,
    quality, total_bytes: manifest.total_bytes, files: manifest.files.map((f) => ({ sha256: f.sha256, url: mediaKey(f.url) })),
    saved_at: new Date().toISOString(),
  }));
  ui.progress(100);
}

async function remove(courseId) {
  const entry = JSON.parse(localStorage.getItem(`caravan-offline:${courseId}`) || "null");
  if (!entry) return;
  const cache = await caches.open(CACHE);
  for (const f of entry.files) await cache.delete(f.url);
  const gone = new Set(entry.files.map((f) => f.sha256));
  const saved = JSON.parse(localStorage.getItem("caravan-offline-sha") || "[]").filter((s) => !gone.has(s));
  localStorage.setItem("caravan-offline-sha", JSON.stringify(saved));
  localStorage.removeItem(`caravan-offline:${courseId}`);
}

if (section && "caches" in window) {
  const courseId = section.dataset.course;
  const form = section.querySelector(".offline-form");
  const bar = section.querySelector("#offline-progress");
  const status = section.querySelector("#offline-status");
  const saveButton = section.querySelector("#offline-save");
  const removeButton = section.querySelector("#offline-remove");
  const zh = document.documentElement.lang.startsWith("zh");
  const show = (state, text) => {
    status.dataset.state = state;
    status.value = text;
    removeButton.hidden = state !== "saved";
  };
  const ui = { progress: (p) => { bar.hidden = false; bar.value = p; } };
  form.hidden = false;
  if (localStorage.getItem(`caravan-offline:${courseId}`)) show("saved", zh ? "已保存，可离线学习。" : "Saved: available offline.");
  saveButton.addEventListener("click", async () => {
    saveButton.disabled = true;
    show("saving", zh ? "正在下载……" : "Downloading…");
    try {
      await save(courseId, section.querySelector("#offline-quality").value, ui);
      show("saved", zh ? "已保存，可离线学习。" : "Saved: available offline.");
    } catch (e) {
      show("failed", String(e.message || e));
    } finally {
      saveButton.disabled = false;
    }
  });
  removeButton.addEventListener("click", async () => {
    await remove(courseId);
    bar.hidden = true;
    show("idle", "");
  });
}
