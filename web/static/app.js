// Progressive enhancement for the server-rendered pages: every page works without this file.

import { flushAttempts, flushStatements, queueAttempt, signedIn } from "/static/queue.js";

// The service worker keeps the app shell and visited pages for use offline.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

// The offline start page lists the courses saved on this device (offline.js remembers them).
const savedList = document.getElementById("saved-courses");
if (savedList) {
  const saved = Object.keys(localStorage)
    .filter((k) => k.startsWith("caravan-offline:"))
    .map((k) => {
      let entry = {};
      try {
        entry = JSON.parse(localStorage.getItem(k)) || {};
      } catch {
        // A damaged entry still names its course.
      }
      return { id: k.slice("caravan-offline:".length), title: entry.title };
    });
  for (const course of saved) {
    const a = document.createElement("a");
    a.href = `/courses/${encodeURIComponent(course.id)}`;
    a.textContent = course.title || course.id;
    const li = document.createElement("li");
    li.append(a);
    savedList.append(li);
  }
  if (saved.length === 0) {
    const li = document.createElement("li");
    li.textContent = savedList.closest("[data-none]").dataset.none;
    savedList.append(li);
  }
}

// Wallet: "Share" makes the credential's public link and shows it with its QR code.
for (const button of document.querySelectorAll("button.share[data-id]")) {
  button.addEventListener("click", async () => {
    const id = button.dataset.id;
    button.disabled = true;
    try {
      const res = await fetch(`/api/v1/credentials/${encodeURIComponent(id)}/share`, {
        method: "POST",
        credentials: "same-origin",
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const link = await res.json();
      const out = button.closest("li").querySelector("output.shared");
      const a = out.querySelector("a.share-url");
      a.href = link.url;
      a.textContent = link.url;
      out.querySelector("img.qr").src = link.qr_svg;
      out.hidden = false;
    } catch (e) {
      button.disabled = false;
      button.title = String(e);
    }
  });
}

// --- forms that call the API (teacher console, admin pages) ---

// A field's JSON value: a checkbox is a boolean; `data-optional` fields are left out when
// empty; `data-type="number"` is a number (left out when empty), `"lines"` a list of its
// non-empty lines; anything else is the text as typed.
function fieldValue(el) {
  if (el.type === "checkbox") return el.checked;
  if (el.dataset.optional !== undefined && el.value.trim() === "") return undefined;
  if (el.dataset.type === "number") return el.value.trim() === "" ? undefined : Number(el.value);
  if (el.dataset.type === "lines") return el.value.split("\n").map((l) => l.trim()).filter(Boolean);
  return el.value;
}

// Dotted names build nested objects: `achievement.name` → {achievement: {name}}.
function put(body, name, value) {
  const keys = name.split(".");
  let at = body;
  for (const key of keys.slice(0, -1)) at = at[key] ??= {};
  at[keys[keys.length - 1]] = value;
}

for (const form of document.querySelectorAll("form.api-form")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    const status = form.querySelector(".form-status");
    const raw = form.dataset.contentType;
    const body = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.disabled) continue;
      const value = fieldValue(el);
      if (value !== undefined) put(body, el.name, value);
    }
    const res = await fetch(form.dataset.action, {
      method: form.dataset.method || "POST",
      credentials: "same-origin",
      headers: { "Content-Type": raw || "application/json" },
      // A raw form (a CSV class list) sends its one text field as it is.
      body: raw ? form.querySelector("textarea").value : JSON.stringify(body),
    });
    const reply = await res.json().catch(() => ({}));
    if (!res.ok) {
      status.value = reply.errors?.map((e) => `${e.field}: ${e.message}`).join("; ") || reply.detail || reply.title || `HTTP ${res.status}`;
      return;
    }
    const then = form.dataset.then;
    if (then === "report") {
      status.dataset.state = "done";
      status.value = `✓ ${reply.created ?? 0} + ${reply.added ?? 0}, ✗ ${reply.rejected ?? 0}`;
    } else if (then === "secret") {
      status.dataset.state = "done";
      status.value = `${reply.key} / ${reply.secret}`;
    } else if (then === "reload") location.reload();
    else if (then) location.assign(then.replace("{id}", encodeURIComponent(reply.id)));
  });
}


// A print button (the page's policy runs no inline handlers).
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}

// A print button (the page's policy runs no inline handlers).
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}

// --- a guest's progress ---

// Signed in: what this device kept (offline, or as a guest) goes to the account. A guest's
// quiz answers are scored now; on that quiz's page the reload shows the score.
if (signedIn()) {
  (async () => {
    const [sent, scored] = await Promise.all([flushStatements(), flushAttempts()]);
    if (scored.some((a) => location.pathname === `/courses/${a.course}/units/${a.unit}`)) {
      location.reload();
      return;
    }
    if (sent || scored.length > 0) document.getElementById("synced").hidden = false;
  })();
  addEventListener("online", () => flushStatements());
}

// A guest's quiz: the answers, in the form the attempts API takes, stay on this device until
// they sign in.
const guestQuiz = document.querySelector("form.quiz[data-guest]");
if (guestQuiz) {
  guestQuiz.addEventListener("submit", (event) => {
    event.preventDefault();
    const answers = [...guestQuiz.querySelectorAll("fieldset[data-kind]")].map((set) => {
      const checked = [...set.querySelectorAll("input:checked")].map((i) => i.value);
      switch (set.dataset.kind) {
        case "single":
          return checked.length ? Number(checked[0]) : null;
        case "multiple":
          return checked.map(Number);
        case "true_false":
          return checked.length ? checked[0] === "true" : null;
        default: {
          const text = set.querySelector("input[type=text]").value.trim();
          return text === "" ? null : text;
        }
      }
    });
    queueAttempt({ course: guestQuiz.dataset.course, unit: guestQuiz.dataset.unit, answers });
    const kept = document.querySelector(".guest-kept");
    kept.hidden = false;
  });
}
