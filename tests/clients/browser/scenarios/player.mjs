// The video player on a phone: playback starts and time advances, seeking works, switching the
// quality keeps the position, progress reaches the LRS, and leaving and coming back resumes.
//
// input.unit_path   /courses/{course}/units/{unit} of a ready video unit

const PLAYER = 'figure.player[data-ready="true"]';

function video(page) {
  return page.locator('video#player');
}

async function untilTime(ctx, predicate, what) {
  await ctx.page.waitForFunction(predicate, null, { timeout: 20000 }).catch(() => {
    throw new Error(`the video never ${what}`);
  });
}

export default async function player(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.unit_path, 'player needs input.unit_path');
  await ctx.login();
  await ctx.goto(input.unit_path);
  await ctx.expectVisible(PLAYER);
  await ctx.expectNoHorizontalScroll();
  // Chromium plays HLS natively; browsers without it are player-hls-js.
  const engine = await video(page).evaluate((v) => v.dataset.engine);
  ctx.expect(engine === 'native', `auto quality plays native HLS, not ${engine}`);
  await video(page).evaluate((v) => { v.muted = true; return v.play(); });
  await untilTime(ctx, () => document.getElementById('player').currentTime > 1.5, 'advanced past 1.5 s');
  await ctx.shot('playing');
  await ctx.expectAccessible();

  await video(page).evaluate((v) => { v.currentTime = 5; });
  await untilTime(ctx, () => { const v = document.getElementById('player'); return !v.seeking && v.currentTime >= 5; }, 'reached 5 s after a seek');

  // Storyboard previews: the tile of the time under the pointer shows above the position bar,
  // and letting go of the bar seeks there.
  const bar = page.locator('#seek');
  await ctx.expectVisible('#seek');
  const box = await bar.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.75, y);
  await ctx.expectVisible('.scrub .preview');
  const tile = await page.locator('.preview .thumb').evaluate((t) => ({
    image: t.style.backgroundImage,
    start: Number(t.dataset.start),
    width: t.getBoundingClientRect().width,
  }));
  ctx.expect(tile.image.includes('/media/'), `the preview shows ${tile.image}`);
  ctx.expect(tile.width > 50, `the preview tile is ${tile.width} px wide`);
  const max = Number(await bar.getAttribute('max'));
  ctx.expect(Math.abs(tile.start - max * 0.75) <= 2, `hovering at 75 % of ${max} s shows the tile from ${tile.start} s`);
  await ctx.shot('storyboard', { fullPage: false });
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 4 });
  await ctx.expectVisible('.scrub .preview');
  await page.mouse.up();
  await untilTime(ctx, () => {
    const v = document.getElementById('player');
    const b = document.getElementById('seek');
    return !v.seeking && Math.abs(v.currentTime - Number(b.max) * 0.6) < 1;
  }, 'moved to where the position bar was let go');
  await page.locator('.scrub .preview').waitFor({ state: 'hidden' });

  const current = await video(page).evaluate((v) => v.dataset.rung);
  const options = await page.locator('#quality option').evaluateAll((os) => os.map((o) => o.value));
  const other = options.find((v) => v !== 'auto' && v !== current);
  ctx.expect(other, `no other quality than ${current} in ${options}`);
  await page.locator('#quality').selectOption(other);
  await page.waitForFunction((name) => document.getElementById('player').dataset.rung === name, other);
  await untilTime(ctx, () => { const v = document.getElementById('player'); return !v.paused && v.currentTime > 6.5; }, 'kept playing after the quality switch');
  const src = await video(page).evaluate((v) => v.currentSrc);
  ctx.expect(src.includes('/media/'), `the switched source is ${src}`);

  await video(page).evaluate((v) => v.pause());
  await page.waitForFunction(() => (localStorage.getItem('caravan-xapi-queue') || '[]') === '[]', null, { timeout: 20000 })
    .catch(() => { throw new Error('statements were not delivered'); });
  const stoppedAt = await video(page).evaluate((v) => v.currentTime);

  await ctx.goto('/me');
  await ctx.goto(input.unit_path);
  await ctx.expectVisible(PLAYER);
  const resumed = await video(page).evaluate((v) => v.currentTime);
  ctx.expect(Math.abs(resumed - stoppedAt) < 1.5, `resumed at ${resumed}, left at ${stoppedAt}`);
  await ctx.shot('resumed');
}
