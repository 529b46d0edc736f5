// A teacher on a phone builds on a partner's shared course and finishes a lecture: reuses a
// unit shared through a consortium, moves it to the top, adds Chinese captions to the
// processed lecture, marks it as a 360° video, and shares the course with the consortium.
//
// input.course_id      a course of the teacher's organisation with a processed video unit
// input.shared_unit    title of a unit of a partner's course shared with the consortium
// input.consortium     name of the consortium the teacher's organisation is in
// input.captions_file  path of an .srt file
// input.bad_captions_file  path of a text file that is not captions

export default async function curriculum(ctx) {
  const { page, input } = ctx;
  for (const k of ['course_id', 'shared_unit', 'consortium', 'captions_file', 'bad_captions_file']) ctx.expect(input[k], `curriculum needs input.${k}`);
  await ctx.login();
  await ctx.goto(`/teach/courses/${input.course_id}`);

  // Reuse the shared unit: it is added at the end.
  const option = page.locator('#reuse option', { hasText: input.shared_unit });
  await page.locator('#reuse').selectOption(await option.getAttribute('value'));
  await ctx.submit(page.locator('form.reuse'));
  const units = () => page.locator('ol.teach-units li.unit .unit-title').allInnerTexts();
  let titles = await units();
  ctx.expect(titles[titles.length - 1] === input.shared_unit, `the reused unit is not last: ${titles}`);

  // Move it to the top with its ↑ button; the order is saved, and survives a reload.
  for (let i = titles.length - 1; i > 0; i -= 1) {
    const li = page.locator('li.unit', { hasText: input.shared_unit });
    await li.locator('button.move-up').click();
    await ctx.expectVisible('.order-status[data-state="saved"]');
  }
  await page.reload();
  titles = await units();
  ctx.expect(titles[0] === input.shared_unit, `after a reload the order is ${titles}`);
  ctx.expect(await page.locator('li.unit').first().locator('button.move-up').isDisabled(), 'the first unit can still move up');
  await ctx.expectNoHorizontalScroll();

  // Captions for the processed lecture.
  const lecture = page.locator('li.unit:has(details.captions)');
  await lecture.locator('details.captions summary').click();
  await lecture.locator('.captions-language').fill('zh-CN');
  // A file that is not captions is refused at once, saying what it is, and nothing changes.
  await lecture.locator('input.captions-input').setInputFiles(input.bad_captions_file);
  await ctx.expectText('details.captions output.upload-status[data-state="failed"]', 'plain text file', { timeout: 20000 });
  await Promise.all([
    page.waitForEvent('load', { timeout: 30000 }),
    lecture.locator('input.captions-input').setInputFiles(input.captions_file),
  ]);
  await ctx.expectVisible('details.captions[open] li[data-language="zh-CN"]', { timeout: 15000 });
  await ctx.shot('captions');

  // The lecture was filmed in 360°: say so, and it shows in the 360° viewer.
  const lectureAgain = page.locator('li.unit:has(details.captions)');
  await lectureAgain.locator('form.spherical input[name="spherical"]').check();
  await ctx.submit(lectureAgain.locator('form.spherical'));
  ctx.expect(await page.locator('li.unit:has(details.captions) form.spherical input[name="spherical"]').isChecked(), 'the 360° mark did not stick');

  // Share with the consortium: the page names who will see it.
  await ctx.expectText('.consortia-note', input.consortium);
  await page.locator('#visibility').selectOption('consortium');
  await ctx.submit(page.locator('form[data-action$="/publish"]'));
  await ctx.expectVisible('[data-visibility="consortium"]');
  await ctx.shot('shared');
  await ctx.expectAccessible();
}
