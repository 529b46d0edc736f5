// A course Caravan exported as cmi5 and imported again: its quiz and document AUs, launched from
// their unit pages against Caravan's LRS, follow the cmi5 AU rules (Caravan refuses statements
// that break them), and Finish returns to the unit page, which shows the unit completed.
//
// input.quiz, input.document   /courses/{course}/units/{unit} of each AU

export default async function cmi5Export(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.quiz && input.document, 'cmi5-export needs input.quiz and input.document');
  await ctx.login();

  async function start(unit) {
    await ctx.goto(unit);
    await Promise.all([
      page.waitForURL(/\/content\//),
      page.locator('section.cmi5 form button').click(),
    ]);
  }
  async function finish(unit, what) {
    await page.locator('button.finish').click();
    await page.waitForURL((u) => u.pathname === new URL(ctx.url(unit)).pathname, { timeout: 15000 });
    const state = await page.locator('.unit-state').getAttribute('data-state');
    ctx.expect(state === 'completed', `${what}: the unit is ${state}`);
  }

  await start(input.quiz);
  await page.locator('input[name="q1"][value="1"]').check();
  await page.locator('input[name="q2"][value="1"]').check();
  await page.locator('form.quiz button[type="submit"]').click();
  const result = await page.locator('p.result').textContent({ timeout: 10000 });
  ctx.expect(/passed/.test(result), `the quiz says ${result}`);
  await page.locator('#status', { hasText: 'Passed' }).waitFor({ timeout: 10000 });
  await ctx.shot('quiz');
  await finish(input.quiz, 'quiz');

  await start(input.document);
  await page.locator('#status', { hasText: 'Completed' }).waitFor({ timeout: 10000 });
  await finish(input.document, 'document');
}
