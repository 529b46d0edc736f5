// Browsing works with JavaScript off: sign in through the form, filter the catalogue, open the
// course, and open a video unit, which offers the video itself (a progressive rung) to the
// browser's own player.
//
// input.course_path  /courses/{course}
// input.unit_path    /courses/{course}/units/{unit} of a ready video unit

export const javaScriptEnabled = false;

export default async function noScript(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.course_path && input.unit_path, 'no-script needs input.course_path and input.unit_path');
  await ctx.goto('/login');
  await page.locator('input#email').fill(ctx.account.email);
  await page.locator('input#password').fill(ctx.account.password);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  await page.waitForURL(/\/me$/);

  await ctx.goto('/');
  await page.locator('select[name="level"]').selectOption('2');
  await page.locator('form.filters button[type="submit"]').click();
  await page.waitForURL(/level=2/);
  await page.locator(`ul.courses a[href="${input.course_path}"]`).first().click();
  await page.waitForURL(new RegExp(`${input.course_path}$`));
  await page.locator(`a[href="${input.unit_path}"]`).first().click();
  await page.waitForURL(new RegExp(`${input.unit_path}$`));
  const source = await page.locator('video#player source').getAttribute('src');
  ctx.expect(source && source.includes('/media/'), `the video offers ${source}`);
  // The bytes the browser's own player would ask for.
  const res = await ctx.context.request.get(ctx.url(source), { headers: { Range: 'bytes=0-1023' } });
  ctx.expect(res.status() === 206, `the video source answered ${res.status()}`);
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('unit');
}
