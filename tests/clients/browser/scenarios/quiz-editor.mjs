// A teacher on a phone adds a quiz unit, writes its questions in the quiz editor (a single
// choice and a true/false question), sees a mistake refused with the server's message, saves,
// and finds the questions again after a reload; then renames the unit and deletes a spare one.
//
// input.course_id  a course of the teacher's organisation

export default async function quizEditor(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.course_id, 'quiz-editor needs input.course_id');
  page.on('dialog', (dialog) => dialog.accept());
  await ctx.login();
  const course = `/teach/courses/${input.course_id}`;
  await ctx.goto(course);
  for (const [kind, title] of [['quiz', 'Check'], ['document', 'Spare']]) {
    await page.locator('#unit-kind').selectOption(kind);
    await page.locator('#unit-title').fill(title);
    await ctx.submit(page.locator('form.add-unit'));
  }
  await page.locator('li.unit', { hasText: 'Check' }).locator('a.edit-quiz').click();
  await ctx.expectText('h1', 'Check');

  await page.locator('#pass-mark').fill('50');
  await page.locator('button.add-question').click();
  let q = page.locator('li.question').nth(0);
  await q.locator('.q-prompt').fill('Which comes first?');
  await q.locator('.q-choices').fill('Gloves\nWashing hands\nMask');
  await q.locator('.q-single').fill('7');
  await page.locator('button.add-question').click();
  q = page.locator('li.question').nth(1);
  await q.locator('.q-kind').selectOption('true_false');
  ctx.expect(await q.locator('.q-choices').isHidden(), 'a true/false question still shows choices');
  await q.locator('.q-prompt').fill('Gloves are single use.');
  await q.locator('.q-true-false').selectOption('true');

  // The answer number is out of range: the server says so and nothing is saved.
  await page.locator('form.quiz-editor button[type="submit"]').click();
  await ctx.expectVisible('form.quiz-editor output[data-state="failed"]');
  await ctx.shot('refused');
  await page.locator('li.question').nth(0).locator('.q-single').fill('2');
  await page.locator('form.quiz-editor button[type="submit"]').click();
  await ctx.expectText('form.quiz-editor output[data-state="done"]', '(2)');
  await ctx.expectNoHorizontalScroll();

  await page.reload();
  ctx.expect(await page.locator('li.question').count() === 2, 'the saved questions did not come back');
  ctx.expect(await page.locator('li.question').nth(0).locator('.q-single').inputValue() === '2', 'the right choice did not stick');
  ctx.expect(await page.locator('li.question').nth(1).locator('.q-kind').inputValue() === 'true_false', 'the kind did not stick');
  await ctx.shot('saved');
  await ctx.expectAccessible();

  // Rename the quiz unit and delete the spare one.
  await ctx.goto(course);
  const check = page.locator('li.unit', { hasText: 'Check' });
  await check.locator('details.unit-edit summary').click();
  await check.locator('input[name="title"]').fill('Final check');
  await ctx.submit(check.locator('form[data-method="PATCH"]'));
  await ctx.expectText('ol.teach-units', 'Final check');
  const spare = page.locator('li.unit', { hasText: 'Spare' });
  await spare.locator('details.unit-edit summary').click();
  await ctx.submit(spare.locator('form.delete-unit'));
  ctx.expect(await page.locator('li.unit', { hasText: 'Spare' }).count() === 0, 'the spare unit is still there');
}
