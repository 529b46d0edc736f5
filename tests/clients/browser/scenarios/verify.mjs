// The public verification page at phone size: a genuine credential is verified, the same
// credential with its credits changed is not, and the page never scrolls sideways.
//
// input.credential   the signed credential (JSON-LD object) as the issuing API returned it
// input.expect_name  optional: text the verdict must show (e.g. the achievement's name)

const FORM = 'form[action="/verify"][method="post"]';

async function check(ctx, credential) {
  await ctx.expectVisible(`${FORM} textarea#credential`);
  await ctx.page.locator(`${FORM} textarea#credential`).fill(JSON.stringify(credential));
  await ctx.page.locator(`${FORM} button[type="submit"]`).click();
}

export default async function verify(ctx) {
  const { input } = ctx;
  ctx.expect(
    input.credential && typeof input.credential === 'object',
    'verify needs input.credential: the signed credential as a JSON object',
  );

  await ctx.goto('/verify');
  await ctx.expectNoHorizontalScroll();
  await check(ctx, input.credential);
  const verdict = 'section.verdict[data-verified="true"]';
  await ctx.expectVisible(verdict);
  if (input.expect_name) await ctx.expectText(verdict, input.expect_name);
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('verdict');
  await ctx.expectAccessible();

  await ctx.page.goBack();
  const tampered = structuredClone(input.credential);
  ctx.expect(tampered.credentialSubject, 'input.credential has no credentialSubject');
  tampered.credentialSubject.creditsEarned = 999;
  await check(ctx, tampered);
  await ctx.expectVisible('section.verdict[data-verified="false"]');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('tampered');
}
