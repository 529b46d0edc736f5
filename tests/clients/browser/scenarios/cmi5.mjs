// A learner starts two cmi5 AUs from their unit pages: one in the same window (AnyWindow), one
// in the new window its launchMethod asks for (OwnWindow). Each AU is real cmi5 content on
// Rustici's cmi5 client, served by Caravan from a sandboxed origin: it fetches its token, reads
// its launch data, reports, terminates and returns to the unit page, which shows it completed.
//
// input.same_window   /courses/{course}/units/{unit} of an AnyWindow AU (moveOn CompletedAndPassed)
// input.own_window    /courses/{course}/units/{unit} of an OwnWindow AU (moveOn Completed)

export default async function cmi5(ctx) {
  const { page, context, input } = ctx;
  ctx.expect(input.same_window && input.own_window, 'cmi5 needs input.same_window and input.own_window');
  await ctx.login();

  await ctx.goto(input.same_window);
  await ctx.expectVisible('section.cmi5 form button');
  await ctx.expectAccessible();
  await ctx.shot('unit');
  await Promise.all([
    page.waitForURL(/\/content\//),
    page.locator('section.cmi5 form button').click(),
  ]);
  await page.waitForSelector('body[data-done], body[data-error]', { timeout: 20000 });
  const error = await page.locator('body').getAttribute('data-error');
  ctx.expect(error === null, `the AU failed: ${error}`);
  ctx.expect(await page.locator('body').getAttribute('data-cookie') === 'blocked',
    'the AU could read Caravan\'s cookies');
  ctx.expect(await page.locator('body').getAttribute('data-launch-mode') === 'Normal', 'launch mode Normal');
  await ctx.shot('au-done');
  await page.waitForURL((u) => u.pathname === new URL(ctx.url(input.same_window)).pathname, { timeout: 10000 });
  await ctx.expectVisible('.unit-state[data-state="completed"]');

  await ctx.goto(input.own_window);
  const form = page.locator('section.cmi5 form');
  ctx.expect(await form.getAttribute('target') === '_blank', 'an OwnWindow AU opens in a new window');
  const [popup] = await Promise.all([
    context.waitForEvent('page'),
    form.locator('button').click(),
  ]);
  await popup.waitForSelector('body[data-done], body[data-error]', { timeout: 20000 });
  const popupError = await popup.locator('body').getAttribute('data-error');
  ctx.expect(popupError === null, `the AU in its own window failed: ${popupError}`);
  await popup.close();
  await ctx.goto(input.own_window);
  await ctx.expectVisible('.unit-state[data-state="completed"]');
  await ctx.shot('own-window-done');
}
