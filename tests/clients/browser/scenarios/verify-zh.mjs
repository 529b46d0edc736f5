// The verification page for a browser that asks for Chinese (Accept-Language: zh-CN).

export const locale = 'zh-CN';

export default async function verifyZh(ctx) {
  await ctx.goto('/verify');
  await ctx.expectText('h1', '验证证书');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('page');
  await ctx.expectAccessible();
}
