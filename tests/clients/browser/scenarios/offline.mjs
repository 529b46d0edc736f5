// A course saved for offline on a phone: the download shows its progress and finishes, then with
// the network cut the lecture page opens and plays from the device, the progress made offline is
// queued, and when the network returns the queue is delivered.
//
// input.course_path  /courses/{course}
// input.unit_path    /courses/{course}/units/{unit} of a ready video unit of that course

export default async function offline(ctx) {
  const { page, context, input } = ctx;
  ctx.expect(input.course_path && input.unit_path, 'offline needs input.course_path and input.unit_path');
  await ctx.login();
  await ctx.goto(input.course_path);
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 20000 })
    .catch(async () => { await page.reload(); });
  await ctx.expectVisible('#offline-save');
  await page.locator('#offline-quality').selectOption('low');
  await page.locator('#offline-save').click();
  await ctx.expectVisible('#offline-status[data-state="saved"]', { timeout: 50000 });
  const value = await page.locator('#offline-progress').evaluate((p) => p.value);
  ctx.expect(value === 100, `the progress bar ended at ${value}`);
  await ctx.shot('saved');
  await ctx.expectAccessible();

  await context.setOffline(true);
  await page.goto(ctx.url(input.unit_path));
  await ctx.expectVisible('figure.player[data-ready="true"]');
  const offline = await page.evaluate(() => navigator.onLine === false);
  ctx.expect(offline, 'the page still thinks it is online');
  // From the start (the page offers to resume later on), so the new position is telling.
  await page.locator('video#player').evaluate(async (v) => {
    v.muted = true;
    v.currentTime = 0;
    await new Promise((ok) => v.addEventListener('seeked', ok, { once: true }));
    return v.play();
  });
  // Paused by the page itself the moment it passes 2 s, so a slow machine does not play on.
  await page.waitForFunction(() => {
    const v = document.getElementById('player');
    if (v.currentTime <= 2) return false;
    v.pause();
    return true;
  }, null, { timeout: 20000 })
    .catch(() => { throw new Error('the saved lecture did not play offline'); });
  const pausedAt = await page.locator('video#player').evaluate((v) => v.currentTime);
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('caravan-xapi-queue') || '[]').length);
  ctx.expect(queued > 0, 'no statements were queued while offline');
  await ctx.shot('offline-playing');

  await context.setOffline(false);
  await page.waitForFunction(() => (localStorage.getItem('caravan-xapi-queue') || '[]') === '[]', null, { timeout: 20000 })
    .catch(() => { throw new Error('the queued statements were not delivered when the network returned'); });
  // The server took them: the resume position is where playback stopped offline.
  const [, course, unit] = /^\/courses\/([^/]+)\/units\/([^/]+)/.exec(input.unit_path);
  const progress = await (await page.request.get(ctx.url(`/api/v1/courses/${course}/progress`))).json();
  const mine = progress.units.find((u) => u.unit_id === unit);
  ctx.expect(mine && Math.abs(mine.resume_position_secs - pausedAt) < 1,
    `the server has the resume position ${mine && mine.resume_position_secs}, playback stopped at ${pausedAt}`);
}
