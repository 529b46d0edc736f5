// The 3D model viewer on a phone: the unit's GLB loads into a WebGL view, dragging turns it,
// the wheel zooms it, the arrow keys turn it, the download link stays, and opening the unit
// counts as viewing it.
//
// input.model_path   /courses/{course}/units/{unit} of a VR unit whose asset is a ready GLB

export default async function model(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.model_path, 'model needs input.model_path');
  await ctx.login();
  await ctx.goto(input.model_path);
  await ctx.expectVisible('figure.model[data-loaded="true"] canvas', { timeout: 20000 });
  await ctx.expectVisible('figure.model a[download]');
  await ctx.expectVisible('figure.model[data-viewed="true"]');
  await ctx.expectNoHorizontalScroll();
  const state = () => page.locator('figure.model').evaluate((f) => ({
    azimuth: Number(f.dataset.azimuth),
    distance: Number(f.dataset.distance),
  }));
  const before = await state();
  await ctx.shot('loaded', { fullPage: false });
  await ctx.expectAccessible();

  const box = await page.locator('figure.model canvas').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 90, cy + 10, { steps: 6 });
  await page.mouse.up();
  const turned = await state();
  ctx.expect(Math.abs(turned.azimuth - before.azimuth) > 0.3, `dragging turned the model from ${before.azimuth} to ${turned.azimuth} rad`);

  await page.mouse.move(cx, cy);
  await page.mouse.wheel(0, -400);
  await page.waitForFunction((d) => Number(document.querySelector('figure.model').dataset.distance) < d - 0.01, turned.distance, { timeout: 5000 })
    .catch(() => { throw new Error(`the wheel did not zoom in from ${turned.distance}`); });
  await ctx.shot('turned', { fullPage: false });

  await page.locator('figure.model canvas').focus();
  const keyed = await state();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const after = await state();
  ctx.expect(after.azimuth !== keyed.azimuth, `the arrow keys did not turn the model (${keyed.azimuth})`);
}
