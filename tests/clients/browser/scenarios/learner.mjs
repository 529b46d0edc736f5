// A learner on a phone: signs in through the login form, filters the catalogue, opens a course,
// and in "My learning" finds the credential earned for it, shares it and sees its QR code; the
// share link opens the verification page with a positive verdict.
//
// input.course_title  a course the learner completed (its credential is in the wallet)
// input.domain        the course's domain slug (used as a catalogue filter)

export default async function learner(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.course_title && input.domain, 'learner needs input.course_title and input.domain');

  await ctx.goto('/me');
  await ctx.expectVisible('form[action="/login"] input#email');
  await page.locator('input#email').fill(ctx.account.email);
  await page.locator('input#password').fill(ctx.account.password);
  await ctx.shot('login');
  await ctx.expectAccessible();
  await page.locator('form[action="/login"] button[type="submit"]').click();
  await page.waitForURL(/\/me$/);
  await ctx.expectText('h1', 'My learning');

  await ctx.goto('/');
  await page.locator('select[name="domain"]').selectOption(input.domain);
  await page.locator('form.filters button[type="submit"]').click();
  await page.waitForURL(/domain=/);
  await ctx.expectText('ul.courses', input.course_title);
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('filtered');
  await ctx.expectAccessible();
  await page.locator('ul.courses a', { hasText: input.course_title }).first().click();
  await ctx.expectText('h1', input.course_title);
  await ctx.expectVisible('.progress[data-completed="true"]');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('course');
  await ctx.expectAccessible();

  await page.locator('header a[href="/me"]').click();
  const card = page.locator('.wallet li.credential', { hasText: input.course_title });
  await card.locator('button.share').click();
  await ctx.expectVisible('.wallet output.shared img.qr');
  const qrLoaded = await card.locator('img.qr').evaluate(
    (img) => img.complete ? img.naturalWidth > 0 : new Promise((ok) => { img.onload = () => ok(true); img.onerror = () => ok(false); }),
  );
  ctx.expect(qrLoaded, 'the QR code image did not load');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('wallet');
  await ctx.expectAccessible();
  const shareUrl = await card.locator('a.share-url').getAttribute('href');
  ctx.expect(shareUrl && shareUrl.includes('/share/'), `no share link, got ${shareUrl}`);
  await page.goto(shareUrl);
  await ctx.expectVisible('section.verdict[data-verified="true"]');
  await ctx.expectText('section.verdict', input.course_title);
  await ctx.shot('shared-verdict');
  await ctx.expectAccessible();
}
