// The player in a browser without native HLS (as Firefox on a desktop, or an older Chrome):
// the page plays the HLS through hls.js (fetched by scripts/web-libs) over Media Source
// Extensions. Playback starts, a seek lands, and choosing a quality switches hls.js's level in
// place while playback goes on. Chromium here plays HLS natively, so the scenario takes that
// away before the page loads (canPlayType answers "" for HLS, as such browsers do).
//
// input.unit_path   /courses/{course}/units/{unit} of a ready video unit

const PLAYER = 'figure.player[data-ready="true"]';

async function until(ctx, predicate, arg, what) {
  await ctx.page.waitForFunction(predicate, arg, { timeout: 20000 }).catch(() => {
    throw new Error(`the video never ${what}`);
  });
}

export default async function playerHlsJs(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.unit_path, 'player-hls-js needs input.unit_path');
  await page.addInitScript(() => {
    const canPlay = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (type) {
      return /mpegurl/i.test(type) ? '' : canPlay.call(this, type);
    };
  });
  // What the page asked the network for, as Playwright sees it (the page's own Resource Timing
  // buffer was found to miss the playlist's XHR at times).
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await ctx.login();
  await ctx.goto(input.unit_path);
  await ctx.expectVisible(PLAYER);
  const video = page.locator('video#player');
  const state = await video.evaluate((v) => ({ engine: v.dataset.engine, src: v.currentSrc }));
  ctx.expect(state.engine === 'hls.js', `without native HLS the page plays through hls.js, not ${state.engine}`);
  ctx.expect(state.src.startsWith('blob:'), `hls.js feeds the video through Media Source, src ${state.src}`);
  ctx.expect(requested.some((u) => u.includes('/vendor/hls.js/')), 'hls.js came from this server');
  ctx.expect(requested.some((u) => u.includes('master.m3u8')), 'hls.js read the master playlist');

  await video.evaluate((v) => { v.muted = true; return v.play(); });
  const start = await video.evaluate((v) => v.currentTime);
  await until(ctx, (t) => document.getElementById('player').currentTime > t + 1, start, 'advanced a second through hls.js');
  await ctx.shot('playing');

  await video.evaluate((v) => { v.currentTime = 5; });
  await until(ctx, () => { const v = document.getElementById('player'); return !v.seeking && v.currentTime >= 5; }, null, 'reached 5 s after a seek');

  // The smallest rung from the quality menu: hls.js switches to that level, same element.
  const options = await page.locator('#quality option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
  const lowest = options.find((o) => /^\d+p$/.test(o.label));
  ctx.expect(lowest, `a video rung in the menu: ${JSON.stringify(options)}`);
  await page.locator('#quality').selectOption(lowest.value);
  const height = lowest.label.slice(0, -1);
  await until(ctx, (h) => document.getElementById('player').dataset.level === h, height, `switched to the ${height}p level`);
  const after = await video.evaluate((v) => ({ engine: v.dataset.engine, src: v.currentSrc, t: v.currentTime }));
  ctx.expect(after.engine === 'hls.js' && after.src === state.src, `the switch stays in hls.js: ${JSON.stringify(after)}`);
  await until(ctx, (t) => { const v = document.getElementById('player'); return !v.paused && v.currentTime > t + 1; }, after.t, 'kept playing after the level switch');
  const playing = await page.locator('#playing').textContent();
  ctx.expect(playing.includes(`${height}p`), `the player says what plays: ${playing}`);
  await ctx.shot('switched');
}
