// After signing in through the login form, `next` leads only to a path of this site. A browser
// drops tabs and newlines from a URL, so `/\t/evil.example` would be `//evil.example`, another
// host: such a `next`, as the link gives it and as a tampered hidden field would post it, ends
// on /me (never on another site, never an error), and a genuine path is still followed.
//
// input.cases  [{next, lands}]: the raw `next` (before URL encoding) and the path it must
//              end on; `expect_h1` optionally names the heading of that page

async function signIn(ctx, next, { tamper }) {
  const { page } = ctx;
  // Each case signs in afresh, so no session from the previous one hides a failure.
  await ctx.context.clearCookies();
  await ctx.goto(`/login?next=${encodeURIComponent(next)}`);
  const field = page.locator('form[action="/login"] input[name="next"]');
  if (tamper) {
    await field.evaluate((el, value) => { el.value = value; }, next);
  }
  await page.locator('input#email').fill(ctx.account.email);
  await page.locator('input#password').fill(ctx.account.password);
  const isPost = (r) => r.url() === ctx.url('/login') && r.method() === 'POST';
  // A redirect that Chromium refuses to follow (the page's CSP allows form-action 'self' only,
  // redirects included) never answers: the request fails instead.
  const posted = Promise.race([
    page.waitForResponse((r) => isPost(r.request())),
    page.waitForEvent('requestfailed', isPost).then((r) => r.failure()?.errorText ?? 'failed'),
  ]);
  // Without the fix the browser would be sent off to evil.example, which does not resolve; the
  // Location header says so before any such navigation fails.
  const navigated = page.waitForURL((u) => u.pathname !== '/login', { waitUntil: 'load' }).catch((e) => e);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  const response = await posted;
  const how = `next=${JSON.stringify(next)}${tamper ? ' (hidden field set to it)' : ''}`;
  ctx.expect(
    typeof response !== 'string',
    `POST /login with ${how} failed in the browser (${response}) instead of being redirected on this site`,
  );
  ctx.expect(
    [302, 303].includes(response.status()),
    `POST /login with ${how} answered ${response.status()}: ${(await response.text().catch(() => '')).slice(0, 300)}`,
  );
  return { response, navigated, how };
}

export default async function nextRedirect(ctx) {
  const { page, input } = ctx;
  ctx.expect(Array.isArray(input.cases) && input.cases.length, 'next-redirect needs input.cases');
  for (const { next, lands, expect_h1: heading } of input.cases) {
    for (const tamper of [false, true]) {
      const { response, navigated, how } = await signIn(ctx, next, { tamper });
      const location = response.headers().location;
      ctx.expect(location === lands, `POST /login with ${how} redirected to ${JSON.stringify(location)}, not ${lands}`);
      const failed = await navigated;
      ctx.expect(!(failed instanceof Error), `after signing in with ${how}: ${failed?.message?.split('\n')[0]}`);
      ctx.expect(page.url() === ctx.url(lands), `signing in with ${how} ended on ${page.url()}, not ${ctx.url(lands)}`);
      const landed = await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.responseStatus);
      ctx.expect(landed === 200, `${page.url()} answered ${landed}`);
      if (heading) await ctx.expectText('h1', heading);
    }
  }
  await ctx.shot('landed');
}
