// The public catalogue at phone size lists at least one course.

export default async function catalogue(ctx) {
  await ctx.goto('/');
  await ctx.expectCount('ul.courses li', 1);
  await ctx.expectVisible('ul.courses li');
  await ctx.shot('list');
  await ctx.expectAccessible();
}
