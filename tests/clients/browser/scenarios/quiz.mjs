// A learner passes the course's quiz on a phone (after a wrong first try) and finds the
// credential for the completed course in "My learning".
//
// input.unit_path     /courses/{course}/units/{unit} of the quiz unit
// input.course_title  the course's title (the credential's name)

export default async function quiz(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.unit_path && input.course_title, 'quiz needs input.unit_path and input.course_title');
  await ctx.login();
  await ctx.goto(input.unit_path);
  await ctx.expectVisible('form.quiz fieldset');
  await ctx.expectNoHorizontalScroll();

  // Wrong answers first: not passed.
  await page.locator('input[name="q0"][value="0"]').check();
  await page.locator('input[name="q1"][value="false"]').check();
  await page.locator('form.quiz button[type="submit"]').click();
  await ctx.expectVisible('section.verdict[data-passed="false"]');
  await ctx.shot('failed');
  await ctx.expectAccessible();

  await page.locator('input[name="q0"][value="1"]').check();
  await page.locator('input[name="q1"][value="true"]').check();
  await page.locator('form.quiz button[type="submit"]').click();
  await ctx.expectVisible('section.verdict[data-passed="true"]');
  await ctx.expectText('section.verdict', '2 / 2');
  await ctx.shot('passed');

  await ctx.goto('/me');
  await ctx.expectText('.wallet li.credential', input.course_title);
  await ctx.shot('wallet');
}
