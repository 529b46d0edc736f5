// The 360° viewer on a phone: a video marked spherical plays inside a WebGL view; dragging
// looks around, the arrow keys do too, and the video's own controls keep working underneath.
//
// input.unit_path   /courses/{course}/units/{unit} whose ready video is marked spherical

export default async function view360(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.unit_path, 'view360 needs input.unit_path');
  await ctx.login();
  await ctx.goto(input.unit_path);
  await ctx.expectVisible('figure.player[data-view360="ready"] .stage360 canvas', { timeout: 20000 });
  await ctx.expectVisible('figure.player[data-ready="true"]');
  await ctx.expectNoHorizontalScroll();
  await page.locator('video#player').evaluate((v) => { v.muted = true; return v.play(); });
  await page.waitForFunction(() => document.getElementById('player').currentTime > 1, null, { timeout: 20000 })
    .catch(() => { throw new Error('the 360° video did not play'); });
  const yaw = () => page.locator('figure.player').evaluate((f) => Number(f.dataset.yaw));
  const pitch = () => page.locator('figure.player').evaluate((f) => Number(f.dataset.pitch));
  const start = await yaw();

  const box = await page.locator('.stage360').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx - 120, cy + 40, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction((s) => Math.abs(Number(document.querySelector('figure.player').dataset.yaw) - s) > 10, start, { timeout: 5000 })
    .catch(async () => { throw new Error(`dragging did not turn the view (yaw ${start} → ${await yaw()})`); });
  ctx.expect((await pitch()) > 1, 'dragging down did not tilt the view up');
  await ctx.shot('looking', { fullPage: false });
  await ctx.expectAccessible();

  await page.locator('.stage360').focus();
  const before = await yaw();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((s) => Number(document.querySelector('figure.player').dataset.yaw) !== s, before, { timeout: 5000 })
    .catch(() => { throw new Error('the arrow key did not turn the view'); });
}
