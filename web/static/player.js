// The unit player: picks a stream (native HLS where the browser plays it, hls.js over Media
// Source Extensions where it does not and scripts/web-libs installed hls.js, otherwise the
// progressive fMP4 rung that the measured throughput affords), offers a quality menu and a data
// saver, resumes where the learner stopped, and reports what was watched as xAPI statements
// (the video profile's played segments). Statements wait in the device's queue (queue.js)
// while the network is down or a guest plays, and are sent (same ids, so a resend is harmless)
// when it returns or someone signs in.

import { flushStatements, queueStatement } from "/static/queue.js";

const ctxEl = document.getElementById("xapi-context");
const xapi = ctxEl ? JSON.parse(ctxEl.textContent) : null;
const VIDEO = "https://w3id.org/xapi/video";

// --- statements -----------------------------------------------------------------------------

// A guest's statements have no actor: they wait in the queue until someone signs in.
function send(verb, display, result, extra = {}) {
  if (!xapi) return;
  const statement = {
    id: crypto.randomUUID(),
    verb: { id: verb, display: { "en-US": display } },
    object: {
      objectType: "Activity",
      id: xapi.object,
      definition: { name: { [xapi.language || "und"]: xapi.title }, type: extra.type },
    },
    context: {
      contextActivities: { parent: [{ objectType: "Activity", id: xapi.parent }] },
      extensions: extra.context || {},
    },
    timestamp: new Date().toISOString(),
  };
  if (xapi.actor) statement.actor = xapi.actor;
  if (!extra.type) delete statement.object.definition.type;
  if (result) statement.result = result;
  queueStatement(statement);
  return flushStatements({ keepalive: extra.keepalive });
}

// app.js sends the queue again when the network returns.

// --- documents --------------------------------------------------------------------------------

const doc = document.querySelector(".document, figure.model");
if (doc) {
  send("http://id.tincanapi.com/verb/viewed", "viewed").then(() => {
    doc.dataset.viewed = "true";
  });
}

// --- video and audio --------------------------------------------------------------------------

const figure = document.querySelector("figure.player");
const video = document.getElementById("player");
if (figure && video) {
  start().catch((e) => console.warn("player:", e));
}

async function start() {
  const asset = await (await fetch(`/api/v1/assets/${figure.dataset.asset}`, { credentials: "same-origin" })).json();
  const rungs = asset.renditions
    .filter((r) => r.role === "video")
    .sort((a, b) => (a.height || 0) - (b.height || 0));
  const audio = asset.renditions.find((r) => r.role === "audio");
  const menu = document.getElementById("quality");
  const saver = document.getElementById("data-saver");
  const playing = document.getElementById("playing");
  for (const r of rungs) menu.add(new Option(`${r.height}p`, r.name));
  if (audio) menu.add(new Option(document.documentElement.lang.startsWith("zh") ? "仅音频" : "Audio only", audio.name));
  figure.querySelector(".controls").hidden = false;
  // Phones keep the small poster the page named; a big screen asks for the large one.
  if (asset.poster_large && matchMedia("(min-width: 960px)").matches) video.poster = asset.poster_large;
  saver.checked = localStorage.getItem("caravan-data-saver") === "1";
  const nativeHls = asset.hls && video.canPlayType("application/vnd.apple.mpegurl") !== "";
  // hls.js where there is no native HLS but Media Source Extensions are (Firefox, older Chrome).
  const hlsJs = asset.hls && !nativeHls && figure.dataset.hlsJs && "MediaSource" in window ? figure.dataset.hlsJs : null;
  let engine = null; // the hls.js instance while it plays

  // Bits per second the link gave a small ranged request of the smallest rung.
  async function throughput() {
    const probe = rungs[0] || audio;
    if (!probe) return Infinity;
    const bytes = Math.min(probe.bytes, 256 * 1024);
    const t0 = performance.now();
    try {
      const res = await fetch(probe.url, { headers: { Range: `bytes=0-${bytes - 1}` } });
      await res.arrayBuffer();
    } catch {
      return 0;
    }
    return (bytes * 8) / Math.max((performance.now() - t0) / 1000, 0.001);
  }

  // A rung saved for offline plays from the device, network or not.
  const saved = new Set(JSON.parse(localStorage.getItem("caravan-offline-sha") || "[]"));
  const kept = [...rungs, audio].filter((r) => r && saved.has(r.sha256));

  async function choose() {
    if (menu.value !== "auto") return asset.renditions.find((r) => r.name === menu.value);
    if (kept.length > 0) return kept[kept.length - 1];
    if (saver.checked) return rungs[0] || audio;
    if (nativeHls) return { url: asset.hls, name: "hls", mime: "application/vnd.apple.mpegurl" };
    if (hlsJs) return { url: asset.hls, name: "hls", engine: "hls.js" };
    const bps = await throughput();
    const fits = rungs.filter((r) => (r.bitrate || 0) * 1.5 <= bps);
    return fits[fits.length - 1] || rungs[0] || audio;
  }

  // While hls.js plays, a chosen video rung is one of its levels: switched in place, no reload.
  function switchLevel() {
    if (!engine) return false;
    if (menu.value === "auto" && !saver.checked) {
      engine.currentLevel = -1;
      video.dataset.rung = "hls";
      return true;
    }
    const rung = rungs.find((r) => r.name === menu.value);
    const level = rung ? engine.levels.findIndex((l) => l.height === rung.height) : -1;
    if (level < 0) return false;
    engine.currentLevel = level;
    video.dataset.rung = rung.name;
    return true;
  }

  async function attachHlsJs(url) {
    const { default: Hls } = await import(hlsJs);
    if (!Hls.isSupported()) return false;
    // No worker: the page's policy runs scripts of this origin only, and a worker made from a
    // blob would be refused.
    engine = new Hls({ enableWorker: false });
    engine.on(Hls.Events.LEVEL_SWITCHED, (_, data) => {
      const level = engine.levels[data.level];
      video.dataset.level = level && level.height ? String(level.height) : "audio";
      playing.value = level && level.height ? `HLS ${level.height}p` : "HLS";
    });
    engine.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal) console.warn("hls.js:", data.type, data.details);
    });
    engine.loadSource(url);
    engine.attachMedia(video);
    return true;
  }

  async function load() {
    if (switchLevel()) return;
    const at = video.currentTime;
    const wasPlaying = !video.paused;
    const pick = await choose();
    if (!pick || video.dataset.rung === pick.name) return;
    video.dataset.rung = pick.name;
    playing.value = pick.name === "hls" ? "HLS" : pick.height ? `${pick.height}p` : pick.name;
    if (engine) {
      engine.destroy();
      engine = null;
    }
    const ready = new Promise((ok) => video.addEventListener("loadedmetadata", ok, { once: true }));
    if (pick.engine === "hls.js" && (await attachHlsJs(pick.url))) {
      video.dataset.engine = "hls.js";
    } else {
      // hls.js that cannot run here (no usable Media Source) leaves the smallest rung.
      const source = pick.engine ? rungs[0] || audio : pick;
      video.dataset.engine = source.name === "hls" ? "native" : "progressive";
      video.src = source.url;
      video.load();
    }
    await ready;
    const resume = at > 0 ? at : Number(figure.dataset.resume || 0);
    if (resume > 1 && resume < video.duration - 2) video.currentTime = resume;
    if (wasPlaying) video.play().catch(() => {});
  }

  menu.addEventListener("change", load);
  saver.addEventListener("change", () => {
    localStorage.setItem("caravan-data-saver", saver.checked ? "1" : "0");
    load();
  });
  track(video);
  // A 360° video in a VR unit is experienced once it has been watched to the end.
  if (figure.dataset.unitKind === "vr") {
    video.addEventListener("ended", () => send("http://adlnet.gov/expapi/verbs/experienced", "experienced"));
  }
  await load();
  await storyboard(asset).catch((e) => console.warn("storyboard:", e));
  figure.dataset.ready = "true";
}

// --- storyboard previews ----------------------------------------------------------------------

// "00:01:02.500" or "01:02.500" in seconds.
function seconds(stamp) {
  return stamp.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);
}

// The thumbnail cues of a WebVTT storyboard: [{start, end, x, y, w, h}]. The cue text names a
// sprite region (`…#xywh=x,y,w,h`); the sprite itself is the asset's `storyboard` rendition,
// whose URL is signed when the course is not public.
export function thumbnails(text) {
  const cues = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const m = block.match(/([\d:.]+)\s+-->\s+([\d:.]+)[^\n]*\n[^\n]*#xywh=(\d+),(\d+),(\d+),(\d+)/);
    if (m) {
      const [x, y, w, h] = m.slice(3).map(Number);
      cues.push({ start: seconds(m[1]), end: seconds(m[2]), x, y, w, h });
    }
  }
  return cues;
}

// A position bar under the video that shows the storyboard tile of the time under the finger
// (or pointer) while seeking, and seeks when it is let go.
async function storyboard(asset) {
  const vtt = asset.renditions.find((r) => r.role === "storyboard-vtt");
  const sprite = asset.renditions.find((r) => r.role === "storyboard");
  const scrub = figure.querySelector(".scrub");
  if (!vtt || !sprite || !scrub) return;
  const res = await fetch(vtt.url);
  if (!res.ok) return;
  const cues = thumbnails(await res.text());
  if (cues.length === 0) return;
  const bar = scrub.querySelector("#seek");
  const preview = scrub.querySelector(".preview");
  const thumb = preview.querySelector(".thumb");
  const label = preview.querySelector(".preview-time");
  const clock = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;
  let dragging = false;

  function show(t) {
    const cue = cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1];
    thumb.style.width = `${cue.w}px`;
    thumb.style.height = `${cue.h}px`;
    thumb.style.backgroundImage = `url("${sprite.url}")`;
    thumb.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    thumb.dataset.start = cue.start;
    label.textContent = clock(t);
    const fraction = Number(bar.max) > 0 ? t / Number(bar.max) : 0;
    const room = bar.clientWidth - cue.w;
    preview.style.left = `${Math.max(0, Math.min(room, fraction * bar.clientWidth - cue.w / 2))}px`;
    preview.hidden = false;
  }
  const hide = () => {
    preview.hidden = true;
  };
  const at = (event) => {
    const box = bar.getBoundingClientRect();
    return (Math.max(0, Math.min(box.width, event.clientX - box.left)) / box.width) * Number(bar.max);
  };

  video.addEventListener("loadedmetadata", () => {
    if (video.duration) bar.max = video.duration;
  });
  if (video.duration) bar.max = video.duration;
  video.addEventListener("timeupdate", () => {
    if (!dragging) bar.value = video.currentTime;
  });
  bar.addEventListener("pointermove", (e) => show(at(e)));
  bar.addEventListener("pointerleave", () => {
    if (!dragging) hide();
  });
  bar.addEventListener("input", () => {
    dragging = true;
    show(Number(bar.value));
  });
  bar.addEventListener("change", () => {
    dragging = false;
    video.currentTime = Number(bar.value);
    hide();
  });
  bar.addEventListener("blur", hide);
  scrub.hidden = false;
}

// Played segments ("0[.]12.5[,]20[.]31"), closed on pause, seek, end and when the page hides.
function track(video) {
  const segments = [];
  let from = null;
  const fmt = (n) => Number(n.toFixed(3));
  const open = () => {
    if (from === null) from = video.currentTime;
  };
  const close = () => {
    if (from !== null && video.currentTime > from) segments.push(`${fmt(from)}[.]${fmt(video.currentTime)}`);
    from = null;
  };
  const result = (extra = {}) => ({
    extensions: {
      [`${VIDEO}/extensions/time`]: fmt(video.currentTime),
      [`${VIDEO}/extensions/played-segments`]: segments.join("[,]"),
      [`${VIDEO}/extensions/progress`]: video.duration ? fmt(Math.min(video.currentTime / video.duration, 1)) : 0,
      ...extra,
    },
  });
  const context = () => ({ context: { [`${VIDEO}/extensions/length`]: fmt(video.duration || 0) }, type: `${VIDEO}/activity-type/video` });
  let seekFrom = 0;
  video.addEventListener("play", () => {
    open();
    send(`${VIDEO}/verbs/played`, "played", { extensions: { [`${VIDEO}/extensions/time`]: fmt(video.currentTime) } }, context());
  });
  video.addEventListener("pause", () => {
    if (video.seeking || video.ended) return;
    close();
    send(`${VIDEO}/verbs/paused`, "paused", result(), context());
  });
  video.addEventListener("timeupdate", () => {
    if (!video.seeking) seekFrom = video.currentTime;
  });
  video.addEventListener("seeking", () => {
    if (from !== null && seekFrom > from) segments.push(`${fmt(from)}[.]${fmt(seekFrom)}`);
    from = null;
  });
  video.addEventListener("seeked", () => {
    send(`${VIDEO}/verbs/seeked`, "seeked", {
      extensions: {
        [`${VIDEO}/extensions/time-from`]: fmt(seekFrom),
        [`${VIDEO}/extensions/time-to`]: fmt(video.currentTime),
      },
    }, context());
    if (!video.paused) open();
  });
  video.addEventListener("ended", () => {
    close();
    send(`${VIDEO}/verbs/paused`, "paused", result(), context());
  });
  // Leaving the page: report where the learner is, so coming back resumes there.
  addEventListener("pagehide", () => {
    if (from === null && segments.length === 0) return;
    close();
    send(`${VIDEO}/verbs/paused`, "paused", result(), { ...context(), keepalive: true });
  });
}
