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

// How far the server has the upload, and the asset it made once the last byte was in (so a
// lost answer to the final PATCH costs nothing).
async function serverState(url) {
  const res = await fetch(url, { method: "HEAD", credentials: "same-origin", headers: TUS });
  if (!res.ok) return null;
  return { offset: Number(res.headers.get("Upload-Offset")), asset: res.headers.get("Caravan-Asset-Id") };
}

// Uploads `file` with the given tus metadata (besides its name); returns the new asset's id.
async function upload(file, meta, ui) {
  const key = `caravan-tus:${Object.values(meta).join(":")}:${file.name}:${file.size}:${file.lastModified}`;
  let url = localStorage.getItem(key);
  const known = url ? await serverState(url).catch(() => null) : null;
  let offset = known ? known.offset : null;
  let asset = known ? known.asset : null;
  if (offset === null) {
    const res = await fetch("/api/v1/uploads", {
      method: "POST",
      credentials: "same-origin",
      headers: { ...TUS, "Upload-Length": String(file.size), "Upload-Metadata": metadata({ filename: file.name, ...meta }) },
    });
    if (res.status !== 201) {
      const p = await res.json().catch(() => ({}));
      throw new Error(p.detail || p.title || `HTTP ${res.status}`);
    }
    url = new URL(res.headers.get("Location"), location.href).href;
    localStorage.setItem(key, url);
    offset = 0;
  }
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
        const now = await serverState(url);
        if (now === null) throw Object.assign(new Error(`HTTP ${res.status}`), { fatal: true });
        offset = now.offset;
        asset = now.asset || asset;
        continue;
      }
      if (!res.ok) {
        const p = await res.json().catch(() => ({}));
        throw Object.assign(new Error(p.detail || p.title || `HTTP ${res.status}`), { fatal: true });
      }
      offset = Number(res.headers.get("Upload-Offset"));
      asset = res.headers.get("Caravan-Asset-Id") || asset;
      delay = 500;
      if (offset >= file.size && asset === null) {
        asset = (await serverState(url))?.asset || null;
        if (asset === null) throw Object.assign(new Error("the server did not name the new file"), { fatal: true });
      }
    } catch (e) {
      if (e.fatal) throw e;
      // The connection dropped: wait for the network, then ask the server how far it got.
      ui.progress(offset / file.size, "waiting");
      await online();
      await sleep(delay);
      delay = Math.min(delay * 2, 10000);
      const confirmed = await serverState(url).catch(() => null);
      if (confirmed !== null) {
        offset = confirmed.offset;
        asset = confirmed.asset || asset;
      }
    }
  }
  localStorage.removeItem(key);
  return asset;
}

// Polls an asset until it is ready or failed, showing each state to `each`; returns the last.
// A moment offline only delays it: the server processes the asset all the same.
async function settled(assetId, each = () => {}) {
  for (;;) {
    const a = await fetch(`/api/v1/assets/${assetId}`, { credentials: "same-origin" })
      .then((res) => (res.ok ? res.json() : null))
      .catch(() => null);
    if (a) {
      each(a);
      if (a.status === "ready" || a.status === "failed") return a;
    }
    await sleep(a ? 1000 : 2000);
  }
}

async function watch(li, assetId) {
  const box = li.querySelector(".asset");
  const bar = box.querySelector(".asset-progress");
  const label = box.querySelector(".asset-status");
  const names = zh
    ? { queued: "等待处理", processing: "处理中", ready: "已就绪", failed: "处理失败" }
    : { queued: "Waiting to be processed", processing: "Processing", ready: "Ready", failed: "Failed" };
  box.dataset.asset = assetId;
  await settled(assetId, (a) => {
    box.dataset.status = a.status;
    bar.hidden = a.status === "ready" || a.status === "failed";
    bar.value = a.progress;
    label.textContent = `${names[a.status] || a.status}${a.error ? `: ${a.error.detail}` : ""}${a.status === "processing" ? ` ${a.progress}%` : ""}`;
  });
}

const WORDS = zh
  ? { starting: "开始上传……", uploading: "上传中", waiting: "网络中断，恢复后继续……", done: "上传完成", failed: "上传失败" }
  : { starting: "Starting…", uploading: "Uploading", waiting: "Connection lost; will resume…", done: "Uploaded", failed: "Upload failed" };

// Wires a file input to an upload with a progress bar and a status line in `box`; `then` gets
// the new asset's id.
function uploader(input, box, meta, then) {
  const bar = box.querySelector(".upload-progress");
  const status = box.querySelector(".upload-status");
  const ui = {
    progress(fraction, state) {
      bar.hidden = false;
      bar.value = Math.floor(fraction * 100);
      status.dataset.state = state;
      status.value = `${WORDS[state]} ${bar.value}%`;
    },
  };
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    input.disabled = true;
    try {
      const asset = await upload(file, meta(), ui);
      bar.value = 100;
      status.dataset.state = "done";
      status.value = WORDS.done;
      await then(asset);
    } catch (e) {
      status.dataset.state = "failed";
      status.value = `${WORDS.failed}: ${e.message}`;
    } finally {
      input.disabled = false;
    }
  });
}

for (const input of document.querySelectorAll("input.upload-input")) {
  const li = input.closest("li.unit");
  uploader(input, li, () => ({ unit_id: li.dataset.unit }), (asset) => watch(li, asset));
}

// Captions for a ready video: uploaded as their own small asset that names the video; once
// checked and converted to WebVTT they appear among the video's tracks.
for (const input of document.querySelectorAll("input.captions-input")) {
  const box = input.closest("details.captions");
  const li = input.closest("li.unit");
  const course = document.querySelector("[data-course-org]");
  uploader(
    input,
    box,
    () => ({
      captions_for: box.dataset.video,
      language: box.querySelector(".captions-language").value.trim() || "und",
      org_id: course.dataset.courseOrg,
    }),
    async (asset) => {
      const a = await settled(asset);
      if (a.status === "failed") {
        const status = box.querySelector(".upload-status");
        status.dataset.state = "failed";
        status.value = `${WORDS.failed}: ${a.error?.detail || ""}`;
        return;
      }
      sessionStorage.setItem("caravan-open-captions", li.dataset.unit);
      location.reload();
    },
  );
}
// The course's poster from an uploaded image: once processed (scaled like a video's poster)
// it is set as the course's, and the page shows the choice.
async function setPoster(box, assetId) {
  const res = await fetch(`/api/v1/courses/${box.dataset.course}`, {
    method: "PATCH",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ poster_asset_id: assetId }),
  });
  if (!res.ok) {
    const p = await res.json().catch(() => ({}));
    throw new Error(p.detail || p.title || `HTTP ${res.status}`);
  }
  location.reload();
}
for (const input of document.querySelectorAll("input.poster-input")) {
  const box = input.closest(".poster-upload");
  const course = document.querySelector("[data-course-org]");
  uploader(input, box, () => ({ org_id: course.dataset.courseOrg }), async (asset) => {
    const a = await settled(asset);
    if (a.status === "failed") throw new Error(a.error?.detail || a.status);
    await setPoster(box, asset);
  });
  box.querySelector(".poster-reset")?.addEventListener("click", () => setPoster(box, ""));
}

const reopen = sessionStorage.getItem("caravan-open-captions");
if (reopen) {
  sessionStorage.removeItem("caravan-open-captions");
  const box = document.querySelector(`li.unit[data-unit="${CSS.escape(reopen)}"] details.captions`);
  if (box) box.open = true;
}

// --- unit order ------------------------------------------------------------------------------------

// ↑ and ↓ move a unit one place; the new order is saved at once, and put back if refused.
const list = document.querySelector("ol.teach-units");
const orderStatus = document.querySelector(".order-status");
async function saveOrder(undo) {
  const ids = [...list.querySelectorAll("li.unit")].map((li) => li.dataset.unit);
  const res = await fetch(list.dataset.orderAction, {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ unit_ids: ids }),
  }).catch(() => null);
  if (res && res.ok) {
    orderStatus.dataset.state = "saved";
    orderStatus.value = list.dataset.savedText;
  } else {
    undo();
    const p = res ? await res.json().catch(() => ({})) : {};
    orderStatus.dataset.state = "failed";
    orderStatus.value = p.detail || p.title || WORDS.failed;
  }
  renumber();
}
function renumber() {
  const items = [...list.querySelectorAll("li.unit")];
  items.forEach((li, i) => {
    li.querySelector(".move-up").disabled = i === 0;
    li.querySelector(".move-down").disabled = i === items.length - 1;
  });
}
if (list) {
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.move-up, button.move-down");
    if (!button) return;
    const li = button.closest("li.unit");
    const up = button.classList.contains("move-up");
    const other = up ? li.previousElementSibling : li.nextElementSibling;
    if (!other) return;
    const place = () => (up ? other.before(li) : other.after(li));
    const undo = () => (up ? other.after(li) : other.before(li));
    place();
    button.focus();
    saveOrder(undo);
  });
}

// Assets still processing when the page opened keep updating.
for (const box of document.querySelectorAll('.asset[data-status="queued"], .asset[data-status="processing"]')) {
  watch(box.closest("li.unit"), box.dataset.asset);
}

// --- quiz editor ---------------------------------------------------------------------------------

// Each question shows the answer field of its kind; the whole quiz is saved at once with
// PUT …/quiz, and the server's checks (the same as the API's) come back as messages.
const quizForm = document.querySelector("form.quiz-editor");
if (quizForm) {
  const questions = quizForm.querySelector("ol.questions");
  const template = document.getElementById("question-template");
  const status = quizForm.querySelector(".form-status");
  const fit = (li) => {
    const kind = li.querySelector(".q-kind").value;
    for (const el of li.querySelectorAll("[data-for]")) el.hidden = !el.dataset.for.split(" ").includes(kind);
  };
  questions.querySelectorAll("li.question").forEach(fit);
  questions.addEventListener("change", (e) => {
    if (e.target.matches(".q-kind")) fit(e.target.closest("li.question"));
  });
  questions.addEventListener("click", (e) => {
    if (e.target.matches(".remove-question")) e.target.closest("li.question").remove();
  });
  quizForm.querySelector(".add-question").addEventListener("click", () => {
    questions.append(template.content.cloneNode(true));
    const li = questions.lastElementChild;
    fit(li);
    li.querySelector(".q-prompt").focus();
  });

  const lines = (el) => el.value.split("\n").map((l) => l.trim()).filter(Boolean);
  function question(li) {
    const kind = li.querySelector(".q-kind").value;
    const q = { kind, prompt: li.querySelector(".q-prompt").value };
    if (kind === "single" || kind === "multiple") q.choices = lines(li.querySelector(".q-choices"));
    if (kind === "single") q.answer = Number(li.querySelector(".q-single").value) - 1;
    if (kind === "multiple") {
      q.answer = li.querySelector(".q-multiple").value.split(/[\s,，、;；]+/).filter(Boolean).map((n) => Number(n) - 1);
    }
    if (kind === "true_false") q.answer = li.querySelector(".q-true-false").value === "true";
    if (kind === "fill_in") q.answer = lines(li.querySelector(".q-fill-in"));
    return q;
  }

  quizForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const attempts = quizForm.querySelector("#max-attempts").value.trim();
    const body = {
      pass_mark: Number(quizForm.querySelector("#pass-mark").value),
      questions: [...questions.querySelectorAll("li.question")].map(question),
    };
    if (attempts) body.max_attempts = Number(attempts);
    const res = await fetch(quizForm.dataset.action, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).catch(() => null);
    const reply = res ? await res.json().catch(() => ({})) : {};
    if (res && res.ok) {
      status.dataset.state = "done";
      status.value = `✓ ${quizForm.dataset.savedText} (${reply.questions?.length ?? 0})`;
    } else {
      status.dataset.state = "failed";
      status.value = reply.errors?.map((e) => `${e.field}: ${e.message}`).join("; ") || reply.detail || reply.title || WORDS.failed;
    }
  });
}

// --- the attendance screen -----------------------------------------------------------------------

// The room's screen shows the session's current code: the page reloads when the code changes.
// (A kiosk display, watched rather than read: nothing on it is lost by the reload.)
const screen = document.querySelector("figure.attendance-qr[data-refresh]");
if (screen) setTimeout(() => location.reload(), Number(screen.dataset.refresh) * 1000);
