// The learner's phone opens the URL in a session's QR code and records attendance with one
// button; a code from the wrong moment is refused with a clear message and nothing recorded.
//
// input.fresh   /attend/{session}?code=… with the code shown now
// input.stale   /attend/{session}?code=… with a code that is no longer valid

export default async function attend(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.fresh && input.stale, 'attend needs input.fresh and input.stale');
  await ctx.login();
  await ctx.goto(input.stale);
  await page.locator('form[action^="/attend/"] button').click();
  await ctx.expectVisible('.attend-refused');
  await ctx.goto(input.fresh);
  await ctx.expectAccessible();
  await page.locator('form[action^="/attend/"] button').click();
  await ctx.expectVisible('.attend-recorded');
  await ctx.shot('recorded');
}
