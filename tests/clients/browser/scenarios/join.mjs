// A newcomer opens a join link on a phone, registers with the code and lands in "My learning"
// as a member of the organisation.
//
// input.code  a learner join code

export default async function join(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.code, 'join needs input.code');
  await ctx.goto(`/join?code=${encodeURIComponent(input.code)}`);
  await ctx.expectNoHorizontalScroll();
  await page.locator('#display_name').fill('Zhang Wei');
  await page.locator('#email').fill('zhang.wei@example.cn');
  await page.locator('#password').fill('password-123');
  await ctx.shot('form');
  await ctx.expectAccessible();
  await page.locator('form[data-action="/api/v1/join"] button[type="submit"]').click();
  await page.waitForURL(/\/me$/);
  await ctx.expectText('main', 'Zhang Wei');
}
