// Progress kept on this device until the server has it: the player's xAPI statements (queued
// while the network is down, or while a guest plays a public course: those carry no actor
// until someone signs in) and a guest's quiz answers. Every statement and every attempt has an
// id made here, so sending one twice records it once.

const STATEMENTS = "caravan-xapi-queue";
const ATTEMPTS = "caravan-quiz-queue";

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "[]");
  } catch {
    return [];
  }
}

function write(key, list) {
  localStorage.setItem(key, JSON.stringify(list));
}

function drop(key, ids) {
  write(key, read(key).filter((item) => !ids.has(item.id)));
}

/** The page was rendered for a signed-in account (base.html marks the body). */
export function signedIn() {
  return document.body.dataset.signedIn !== undefined;
}

// A 4xx will not improve by resending (except 401, 429): drop the item rather than block the
// queue behind it.
const settled = (res) => res.ok || (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 429);

let actor = null;
/** The signed-in account's xAPI agent, asked of the server once per page. */
async function myActor() {
  if (!actor) {
    const res = await fetch("/api/v1/me", { credentials: "same-origin" });
    if (!res.ok) return null;
    actor = (await res.json()).actor;
  }
  return actor;
}

export function queueStatement(statement) {
  write(STATEMENTS, [...read(STATEMENTS), statement]);
}

/** Sends the queued statements, a guest's as the signed-in learner's; true when any were sent. */
export async function flushStatements({ keepalive = false } = {}) {
  const pending = read(STATEMENTS);
  if (pending.length === 0 || !navigator.onLine || !signedIn()) return false;
  try {
    if (pending.some((s) => !s.actor)) {
      const me = await myActor();
      if (!me) return false;
      for (const s of pending) s.actor ??= me;
    }
    const res = await fetch("/xapi/statements", {
      method: "POST",
      credentials: "same-origin",
      keepalive,
      headers: { "Content-Type": "application/json", "X-Experience-API-Version": "1.0.3" },
      body: JSON.stringify(pending),
    });
    if (!settled(res)) return false;
    drop(STATEMENTS, new Set(pending.map((s) => s.id)));
    return res.ok;
  } catch {
    // Offline or the server is unreachable: the queue stays for the next try.
    return false;
  }
}

/** Keeps a guest's answers to a quiz: `{course, unit, answers}`. */
export function queueAttempt(attempt) {
  write(ATTEMPTS, [...read(ATTEMPTS), { id: crypto.randomUUID(), at: new Date().toISOString(), ...attempt }]);
}

/** Submits the kept answers as the signed-in learner's attempts; the units that got a score. */
export async function flushAttempts() {
  const pending = read(ATTEMPTS);
  const scored = [];
  if (pending.length === 0 || !navigator.onLine || !signedIn()) return scored;
  for (const a of pending) {
    try {
      const path = `/api/v1/courses/${encodeURIComponent(a.course)}/units/${encodeURIComponent(a.unit)}/quiz/attempts`;
      const res = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answers: a.answers, statement_id: a.id }),
      });
      if (!settled(res)) continue;
      drop(ATTEMPTS, new Set([a.id]));
      if (res.ok) scored.push(a);
    } catch {
      // Kept for the next page.
    }
  }
  return scored;
}
