// The player of a unit in a course Caravan exports as a SCORM 1.2 or cmi5 package. It renders
// the unit that the page's #unit-data JSON describes (video, audio, document or quiz), judges
// completion and the quiz's score, and reports them to the LMS that launched the package: through
// the SCORM 1.2 API object of an enclosing frame, or as cmi5 xAPI statements sent to its LRS.
// No dependencies, no build: the page loads this file last in <body> as a classic script, so it
// is one IIFE in conservative JavaScript (var, plain functions; Promise and fetch for cmi5).
(function () {
  "use strict";

  var unitEl = document.getElementById("unit");
  var statusEl = document.getElementById("status");
  var NO_LMS = "No LMS connection: your progress is not recorded";
  var ADL = "http://adlnet.gov/expapi/verbs/";
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  var problem = ""; // the last error shown, kept so later statuses can repeat it

  // --- helpers ----------------------------------------------------------------------------------

  // Short text in the page's live region, which screen readers announce.
  function status(text) { if (statusEl) statusEl.textContent = text; }
  function fail(text) { status(problem = text); }

  // An element with attributes (true: present and empty; false, null, undefined: left out) and
  // children (strings become text nodes).
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === true) node.setAttribute(name, "");
      else if (value !== false && value != null) node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function pad(n, width) { var s = String(n); return s.length < width ? ("0000" + s).slice(-width) : s; }
  function secondsSince(start) { return Math.max(0, (Date.now() - start) / 1000); }

  // A version 4 UUID. crypto.randomUUID exists only in secure contexts (https, localhost), so an
  // LMS serving the package over plain http gets one built from crypto.getRandomValues.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), hex = "";
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    for (var i = 0; i < 16; i++) hex += (i === 4 || i === 6 || i === 8 || i === 10 ? "-" : "") + pad(b[i].toString(16), 2);
    return hex;
  }

  // Both LMS adapters offer the same methods, called once `ready` has settled: live() (reports
  // still reach an LMS), judge(score, passMark), complete(), scored(score), finish(unloading) (a
  // promise of true once nothing is left unrecorded) and returnURL(). A score is {right, total,
  // percent (an integer, rounded down), scaled (right / total), passed, answers}.
  // --- SCORM 1.2 --------------------------------------------------------------------------------

  // The ADL algorithm: from `win` up the parent chain (at most 7 steps) to the first window with
  // an API object. Touching a cross-origin window throws; no usable API can be there anyway.
  function findScormApi(win) {
    try {
      for (var steps = 0; win.API == null && win.parent != null && win.parent !== win; steps++) {
        if (steps >= 7) return null;
        win = win.parent;
      }
      return win.API == null ? null : win.API;
    } catch (e) { return null; }
  }

  // A SCORM 1.2 CMITimespan, HHHH:MM:SS.SS.
  function scormTime(seconds) {
    var cs = Math.round(seconds * 100);
    return pad(Math.min(9999, Math.floor(cs / 360000)), 4) + ":" + pad(Math.floor(cs / 6000) % 60, 2) +
      ":" + pad(Math.floor(cs / 100) % 60, 2) + "." + pad(cs % 100, 2);
  }

  function scorm12() {
    var api = findScormApi(window);
    try { if (!api && window.opener) api = findScormApi(window.opener); } catch (e) { /* no API */ }
    var started = Date.now(), lessonStatus = "", live = false, finished = false;

    // api[name](args…); true when the LMS answers "true" (or true). A refusal shows in #status
    // with the LMS's error code, unless `quiet` (for data elements an LMS may lack).
    function call(quiet, name, args) {
      try {
        if (String(api[name].apply(api, args)) === "true") return true;
        if (!quiet) fail("The LMS refused " + name + " " + (args[0] || "") + " (error " + api.LMSGetLastError() + ")");
      } catch (e) { if (!quiet) fail("LMS error: " + e.message); }
      return false;
    }
    function get(name) { try { return String(api.LMSGetValue(name)); } catch (e) { return ""; } }
    function set(name, value, quiet) { call(quiet, "LMSSetValue", [name, String(value)]); }
    function commit() { call(false, "LMSCommit", [""]); }

    if (!api) fail(NO_LMS);
    else if (call(false, "LMSInitialize", [""])) {
      live = true;
      lessonStatus = get("cmi.core.lesson_status");
      if (lessonStatus === "not attempted") {
        set("cmi.core.lesson_status", lessonStatus = "incomplete");
        commit();
      }
    }
    return {
      live: function () { return live && !finished; },
      returnURL: function () { return null; },
      // The server's own rule: right / total ≥ pass mark %, exactly (2 of 3 fails a mark of 67).
      judge: function (score, passMark) { return score.right * 100 >= passMark * score.total; },
      complete: function () {
        // Never overwrite an earlier session's "passed" or "failed" (nor repeat "completed").
        if (!this.live() || /^(completed|passed|failed)$/.test(lessonStatus)) return;
        set("cmi.core.lesson_status", lessonStatus = "completed");
        commit();
      },
      scored: function (score) {
        if (!this.live()) return;
        set("cmi.core.score.min", "0");
        set("cmi.core.score.max", "100");
        set("cmi.core.score.raw", score.percent);
        set("cmi.core.lesson_status", lessonStatus = score.passed ? "passed" : "failed");
        // Interactions are optional in SCORM 1.2 (so an LMS without them is not an error) and go
        // at the next free index, after any that an earlier session of this attempt wrote.
        var base = parseInt(get("cmi.interactions._count"), 10) || 0;
        score.answers.forEach(function (a, i) {
          var at = "cmi.interactions." + (base + i) + ".", type = "choice", response;
          if (a.kind === "fill_in") { type = "fill-in"; response = a.text.slice(0, 255); }
          else if (a.kind === "true_false") { type = "true-false"; response = ["t", "f"][a.picked[0]] || ""; }
          else response = a.picked.map(function (c) { return String.fromCharCode(97 + c); }).join(",");
          [["id", "q" + (i + 1)], ["type", type], ["student_response", response],
            ["result", a.correct ? "correct" : "wrong"]].forEach(function (kv) { set(at + kv[0], kv[1], true); });
        });
        commit();
      },
      finish: function () {
        if (!live || finished) return Promise.resolve(true);
        finished = true; // first: LMSFinish must never run twice
        set("cmi.core.session_time", scormTime(secondsSince(started)));
        set("cmi.core.exit", /^(completed|passed|failed)$/.test(lessonStatus) ? "" : "suspend");
        return Promise.resolve(call(false, "LMSFinish", [""]));
      }
    };
  }

  // --- cmi5 -------------------------------------------------------------------------------------

  function cmi5() {
    var params = new URLSearchParams(location.search);
    var endpoint = params.get("endpoint") || "", fetchUrl = params.get("fetch");
    var activityId = params.get("activityId"), registration = params.get("registration");
    var started = Date.now(), token = null, launch = {}, live = false, terminated = false;
    var sent = {}, outbox = [], busy = null, actor = null;
    try { actor = JSON.parse(params.get("actor")); } catch (e) { /* reported below */ }
    if (endpoint && endpoint.charAt(endpoint.length - 1) !== "/") endpoint += "/";

    // A request to the LRS with the xAPI headers; rejects on an answer other than 2xx.
    function xapi(path, init) {
      init.headers = { "Authorization": "Basic " + token, "X-Experience-API-Version": "1.0.3" };
      if (init.body) init.headers["Content-Type"] = "application/json";
      return fetch(endpoint + path, init).then(function (res) {
        if (!res.ok) throw new Error("the LRS answered " + res.status + " to " + path.split("?")[0]);
        return res;
      });
    }
    function duration() { return "PT" + secondsSince(started).toFixed(2) + "S"; }

    // A statement about this AU in this registration, in the context the LMS asked for.
    function statement(verb, result) {
      var context = JSON.parse(JSON.stringify(launch.contextTemplate || {}));
      var judged = verb === "passed" || verb === "failed";
      context.registration = registration;
      // Every statement sent here is cmi5 defined (cmi5 9.6.2.1); those that count for moveOn
      // say so too (9.6.2.2).
      var activities = context.contextActivities = context.contextActivities || {};
      var categories = [{ id: CMI5 }];
      if (judged || verb === "completed") categories.push({ id: MOVEON });
      activities.category = [].concat(activities.category || [], categories);
      if (judged && launch.masteryScore != null) {
        context.extensions = context.extensions || {};
        context.extensions[MASTERY] = launch.masteryScore;
      }
      var s = { id: uuid(), actor: actor, verb: { id: ADL + verb, display: { "en-US": verb } },
        object: { id: activityId, objectType: "Activity" }, context: context, timestamp: new Date().toISOString() };
      if (result) s.result = result;
      return s;
    }

    // Statements leave in order, one request at a time, each carrying all that queued up while
    // the previous one was out. A failed batch goes back to the head of the queue for the next
    // send (or Finish) to retry. `now` sends at once even while a request is out, for a page
    // going away; keepalive lets every request outlive the page, so none is cut off midway.
    function flush(now) {
      if (busy && !now) return busy;
      var batch = outbox.splice(0, outbox.length);
      if (!batch.length) return busy || Promise.resolve(true);
      var request = xapi("statements", { method: "POST", body: JSON.stringify(batch), keepalive: true })
        .then(function () { busy = null; return outbox.length ? flush() : true; }, function (e) {
          busy = null;
          outbox = batch.concat(outbox);
          fail("Your progress could not be recorded: " + e.message);
          return false;
        });
      if (!busy) busy = request;
      return request;
    }
    function send(verb, result) { outbox.push(statement(verb, result)); return flush(); }

    // cmi5 8.1–8.2: the fetch URL gives the token (once per launch), the LMS.LaunchData state the
    // context template, launch mode and mastery score; then comes "initialized".
    var ready = new Promise(function (resolve) {
      if (!endpoint || !fetchUrl || !actor || !activityId || !registration) throw new Error("the launch address lacks cmi5 parameters");
      resolve(fetch(fetchUrl, { method: "POST" }));
    }).then(function (res) {
      return res.json().catch(function () { throw new Error("the LMS answered " + res.status + " to the token request"); });
    }).then(function (answer) {
      if (answer["error-code"] != null || !answer["auth-token"]) throw new Error("the LMS refused the launch: " +
        (answer["error-text"] || answer["error-code"] || "no token"));
      token = answer["auth-token"];
      return xapi("activities/state?stateId=LMS.LaunchData&activityId=" + encodeURIComponent(activityId) +
        "&agent=" + encodeURIComponent(JSON.stringify(actor)) + "&registration=" + encodeURIComponent(registration), { method: "GET" });
    }).then(function (res) { return res.json(); }).then(function (data) {
      launch = data || {};
      live = true;
      send("initialized");
    }).catch(function (e) { fail(NO_LMS + " (" + e.message + ")."); });
    function normal() { return launch.launchMode === "Normal"; }
    return {
      ready: ready,
      live: function () { return live && !terminated; },
      returnURL: function () { return launch.returnURL || null; },
      // With a mastery score the LMS's rule decides, not the quiz's own pass mark.
      judge: function (score, passMark) {
        return launch.masteryScore == null ? score.right * 100 >= passMark * score.total : score.scaled >= +launch.masteryScore;
      },
      // completed, passed and failed count only in Normal mode, and each is sent at most once.
      complete: function () {
        if (!this.live() || !normal() || sent.completed) return;
        sent.completed = true;
        send("completed", { completion: true, duration: duration() });
      },
      scored: function (score) {
        this.complete();
        if (!this.live() || !normal() || sent.judged) return;
        sent.judged = true;
        send(score.passed ? "passed" : "failed",
          { success: score.passed, score: { scaled: score.scaled }, duration: duration() });
      },
      // "terminated" is queued once, last; if its request fails, the next Finish retries it.
      finish: function (unloading) {
        if (!live) return Promise.resolve(true);
        if (!terminated) outbox.push(statement("terminated", { duration: duration() }));
        terminated = true;
        return flush(unloading);
      }
    };
  }

  // --- the unit ---------------------------------------------------------------------------------

  var data;
  try { data = JSON.parse(document.getElementById("unit-data").textContent); } catch (e) {
    return status("This unit cannot be shown: its data is missing or damaged.");
  }
  if (!unitEl) return;
  var lms = data.standard === "cmi5" ? cmi5() : scorm12();
  var ready = lms.ready || Promise.resolve();
  var isComplete = false;

  // What follows a status when it reaches no LMS: the reason shown before, if any.
  function note() { return lms.live() ? "" : problem ? ". " + problem : " (not recorded)"; }
  function completed() {
    if (isComplete) return;
    isComplete = true;
    ready.then(function () { status("Completed" + note()); lms.complete(); });
  }

  // Video or audio: one <source> per rung, the chosen rung first so the browser tries it first.
  function renderMedia(kind, media, captions) {
    if (!media.length) return unitEl.appendChild(el("p", {}, ["This unit has no media to play."]));
    var limit = (window.screen ? screen.width : window.innerWidth) * (window.devicePixelRatio || 1);
    var chosen = media[0]; // the smallest, unless a larger rung fits the screen's device pixels
    media.forEach(function (rung) { if (rung.width && rung.width <= limit && rung.width >= (chosen.width || 0)) chosen = rung; });
    var sources = [chosen].concat(media.filter(function (rung) { return rung !== chosen; })), video = kind === "video";
    var player = el(kind, { controls: true, playsinline: video, preload: "metadata",
      width: video ? chosen.width : null, height: video ? chosen.height : null },
      sources.map(function (rung) { return el("source", { src: rung.src, type: rung.type }); })
        .concat(captions.map(function (c, i) {
          return el("track", { kind: "captions", src: c.src, srclang: c.srclang, label: c.label, "default": i === 0 });
        })));
    // The last <source> reports an error only once no source could be played.
    player.querySelectorAll("source")[sources.length - 1].addEventListener("error", function () {
      fail("This " + kind + " cannot be played in this browser.");
    });
    // Played time counts only steps of at most 2 s forward between timeupdates, so a seek ahead
    // counts nothing; 90 % of the duration played (or the end reached) completes the unit.
    var last = 0, played = 0;
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime, step = now - last;
      if (step > 0 && step <= 2) played += step;
      last = now;
      if (isFinite(player.duration) && player.duration > 0 && played >= 0.9 * player.duration) completed();
    });
    player.addEventListener("ended", completed);
    unitEl.appendChild(player);
  }

  // A document: a download link (phones often show no PDF in a frame) and, for a PDF, a frame.
  function renderDocument(doc) {
    if (!doc || !doc.src) return unitEl.appendChild(el("p", {}, ["This unit has no document."]));
    var name = doc.filename || "the document";
    unitEl.appendChild(el("p", {}, [el("a", { href: doc.src, download: doc.filename || true, type: doc.type }, ["Download " + name])]));
    if (doc.type === "application/pdf") unitEl.appendChild(el("iframe", { src: doc.src, title: name, "class": "document" }));
    completed();
  }

  // A fill-in answer as compared: Unicode NFC, trimmed, inner runs of spaces made one, lower case.
  function normalise(text) {
    text = String(text == null ? "" : text);
    return (text.normalize ? text.normalize("NFC") : text).replace(/\s+/g, " ").trim().toLowerCase();
  }

  // The learner's answer to question `q` (number i, from 0), and whether it is exactly right.
  function answerOf(form, q, i) {
    var inputs = Array.prototype.slice.call(form.querySelectorAll('input[name="q' + (i + 1) + '"]'));
    if (q.kind === "fill_in") {
      var text = inputs[0].value, accepted = [].concat(q.answer || []); // a text or a list of them
      return { kind: q.kind, text: text, picked: [], correct: accepted.some(function (a) { return normalise(a) === normalise(text); }) };
    }
    var picked = [];
    inputs.forEach(function (input, c) { if (input.checked) picked.push(c); }); // in ascending order
    var key = q.kind === "true_false" ? [q.answer ? 0 : 1] // choice 0 is "True"
      : [].concat(q.answer).sort(function (a, b) { return a - b; });
    return { kind: q.kind, picked: picked, correct: picked.join() === key.join() };
  }

  function renderQuiz(quiz) {
    var questions = quiz.questions || [];
    var passMark = typeof quiz.pass_mark === "number" ? quiz.pass_mark : 100;
    var form = el("form", { "class": "quiz", novalidate: true });
    questions.forEach(function (q, i) {
      var name = "q" + (i + 1), legend = el("legend", { id: name + "-prompt" }, [(i + 1) + ". " + q.prompt]);
      var fieldset = el("fieldset", {}, [legend]);
      if (q.kind === "fill_in") {
        // The legend names the text box too (a fieldset's legend alone names only the group).
        fieldset.appendChild(el("input", { type: "text", name: name, "aria-labelledby": legend.id,
          autocomplete: "off", autocapitalize: "none", spellcheck: "false" }));
      } else {
        (q.kind === "true_false" ? ["True", "False"] : q.choices || []).forEach(function (text, c) {
          var input = el("input", { type: q.kind === "multiple" ? "checkbox" : "radio", name: name, value: c });
          fieldset.appendChild(el("label", {}, [input, " " + text]));
        });
      }
      form.appendChild(fieldset);
    });
    var submit = el("button", { type: "submit" }, ["Submit answers"]);
    var result = el("p", { "class": "result", tabindex: "-1" });
    form.appendChild(submit);
    form.appendChild(result);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.disabled) return;
      var answers = questions.map(function (q, i) { return answerOf(form, q, i); });
      var right = answers.filter(function (a) { return a.correct; }).length, total = questions.length;
      // percent is rounded down, so that percent ≥ pass mark exactly when the quiz is passed.
      var score = { right: right, total: total, answers: answers,
        percent: total ? Math.floor((100 * right) / total) : 0, scaled: total ? right / total : 0 };
      Array.prototype.forEach.call(form.querySelectorAll("fieldset"), function (f) { f.disabled = true; });
      submit.disabled = true;
      // The pass rule may come from the LMS (cmi5's mastery score): judge once it has answered.
      ready.then(function () {
        var passed = score.passed = lms.judge(score, passMark);
        result.textContent = right + " of " + total + " right — " + (passed ? "passed" : "not passed");
        result.focus();
        status((passed ? "Passed" : "Not passed") + note());
        isComplete = true; // scored() reports the completion along with the score
        lms.scored(score);
      });
    });
    unitEl.appendChild(form);
  }

  if (data.kind === "video" || data.kind === "audio") renderMedia(data.kind, data.media || [], data.captions || []);
  else if (data.kind === "document") renderDocument(data.document);
  else if (data.kind === "quiz") renderQuiz(data.quiz || {});
  else unitEl.appendChild(el("p", {}, ["This unit cannot be shown here."]));

  // Finish, under the unit, ends the LMS session (LMSFinish, or cmi5's "terminated"); a cmi5 LMS
  // that gave a returnURL takes the learner back, otherwise the page says it may be closed.
  var finishButton = el("button", { type: "button", "class": "finish" }, ["Finish"]);
  unitEl.parentNode.insertBefore(finishButton, statusEl && statusEl.parentNode === unitEl.parentNode ? statusEl : null);
  finishButton.addEventListener("click", function () {
    finishButton.disabled = true;
    ready.then(function () { return lms.finish(false); }).then(function (ok) {
      if (ok && lms.returnURL()) return location.assign(lms.returnURL());
      if (ok) status("You can close this page.");
      else finishButton.disabled = false; // the error is in #status, and Finish tries again
    });
  });

  // Leaving the page ends the session too: pagehide, or beforeunload where pagehide is missing.
  ["pagehide", "beforeunload"].forEach(function (type) {
    window.addEventListener(type, function () { lms.finish(true); });
  });
})();
