// The teacher console: forms post JSON to the API, and files go up by tus in chunks. An upload
// survives a dropped connection (it waits for the network and resumes from the offset the
// server confirms) and a page reload (choosing the same file again resumes the same upload).

const CHUNK = 512 * 1024;
const TUS = { "Tus-Resumable": "1.0.0" };
const zh = document.documentElement.lang.startsWith("zh");

// --- uploads -------------------------------------------------------------------------------------

function metadata(pairs) {
  const b64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
  return Object.entries(pairs).map(([k, v]) => `${k} ${b64(v)}`).join(",");
}

function sleep(ms) {
  return new Promise((ok) => setTimeout(ok, ms));
}

async function online() {
  if (navigator.onLine) return;
  await new Promise((ok) => addEventListener("online", ok, { once: true }));
}

async function serverOffset(url) {
  const res = await fetch(url, { method: "HEAD", credentials: "same-origin", headers: TUS });
  if (!res.ok) return null;
  return Number(res.headers.get("Upload-Offset"));
}

async function upload(file, unitId, ui) {
  const key = `caravan-tus:${unitId}:${file.name}:${file.size}:${file.lastModified}`;
  let url = localStorage.getItem(key);
  let offset = url ? await serverOffset(url).catch(() => null) : null;
  if (offset === null) {
    const res = await fetch("/api/v1/uploads", {
      method: "POST",
      credentials: "same-origin",
      headers: { ...TUS, "Upload-Length": String(file.size), "Upload-Metadata": metadata({ filename: file.name, unit_id: unitId }) },
    });
    if (res.status !== 201) {
      const p = await res.json().catch(() => ({}));
      throw new Error(p.detail || p.title || `HTTP ${res.status}`);
    }
    url = new URL(res.headers.get("Location"), location.href).href;
    localStorage.setItem(key, url);
    offset = 0;
  }
  let asset = null;
  let delay = 500;
  while (offset < file.size || asset === null) {
    ui.progress(offset / file.size, offset > 0 ? "uploading" : "starting");
    try {
      const res = await fetch(url, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { ...TUS, "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
        body: file.slice(offset, offset + CHUNK),
      });
      if (res.status === 409) {
        offset = await serverOffset(url);
        continue;
      }
      if (!res.ok) {
        const p = await res.json().catch(() => ({}));
        throw Object.assign(new Error(p.detail || p.title || `HTTP ${res.status}`), { fatal: true });
      }
      offset = Number(res.headers.get("Upload-Offset"));
      asset = res.headers.get("Caravan-Asset-Id") || asset;
      delay = 500;
      if (offset >= file.size && asset === null) break;
    } catch (e) {
      if (e.fatal) throw e;
      // The connection dropped: wait for the network, then ask the server how far it got.
      ui.progress(offset / file.size, "waiting");
      await online();
      await sleep(delay);
      delay = Math.min(delay * 2, 10000);
      const confirmed = await serverOffset(url).catch(() => null);
      if (confirmed !== null) offset = confirmed;
    }
  }
  localStorage.removeItem(key);
  return asset;
}

async function watch(li, assetId) {
  const box = li.querySelector(".asset");
  const bar = box.querySelector(".asset-progress");
  const label = box.querySelector(".asset-status");
  box.dataset.asset = assetId;
  for (;;) {
    const a = await (await fetch(`/api/v1/assets/${assetId}`, { credentials: "same-origin" })).json();
    box.dataset.status = a.status;
    bar.hidden = a.status === "ready" || a.status === "failed";
    bar.value = a.progress;
    const names = zh
      ? { queued: "等待处理", processing: "处理中", ready: "已就绪", failed: "处理失败" }
      : { queued: "Waiting to be processed", processing: "Processing", ready: "Ready", failed: "Failed" };
    label.textContent = `${names[a.status] || a.status}${a.error ? `: ${a.error.detail}` : ""}${a.status === "processing" ? ` ${a.progress}%` : ""}`;
    if (a.status === "ready" || a.status === "failed") return;
    await sleep(1000);
  }
}

for (const input of document.querySelectorAll("input.upload-input")) {
  const li = input.closest("li.unit");
  const bar = li.querySelector(".upload-progress");
  const status = li.querySelector(".upload-status");
  const words = zh
    ? { starting: "开始上传……", uploading: "上传中", waiting: "网络中断，恢复后继续……", done: "上传完成", failed: "上传失败" }
    : { starting: "Starting…", uploading: "Uploading", waiting: "Connection lost; will resume…", done: "Uploaded", failed: "Upload failed" };
  const ui = {
    progress(fraction, state) {
      bar.hidden = false;
      bar.value = Math.floor(fraction * 100);
      status.dataset.state = state;
      status.value = `${words[state]} ${bar.value}%`;
    },
  };
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    input.disabled = true;
    try {
      const asset = await upload(file, li.dataset.unit, ui);
      bar.value = 100;
      status.dataset.state = "done";
      status.value = words.done;
      await watch(li, asset);
    } catch (e) {
      status.dataset.state = "failed";
      status.value = `${words.failed}: ${e.message}`;
    } finally {
      input.disabled = false;
    }
  });
}

// Assets still processing when the page opened keep updating.
for (const box of document.querySelectorAll('.asset[data-status="queued"], .asset[data-status="processing"]')) {
  watch(box.closest("li.unit"), box.dataset.asset);
}
