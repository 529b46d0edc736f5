// The teacher console in Chinese on a phone: the course editor (with its units, captions,
// reuse and publish forms) fits the screen and passes the accessibility rules.
//
// input.course_id  a course of the teacher's organisation

export const locale = 'zh-CN';

export default async function teachZh(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.course_id, 'teach-zh needs input.course_id');
  await ctx.login();
  await ctx.goto(`/teach/courses/${input.course_id}`);
  await ctx.expectText('h2', '单元');
  for (const d of await page.locator('details').all()) await d.locator('summary').click();
  await ctx.expectNoHorizontalScroll();
  await ctx.expectAccessible();
  await ctx.shot('course');
  await page.locator('a.edit-quiz').first().click();
  await ctx.expectText('form.quiz-editor', '及格');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('quiz');
}
