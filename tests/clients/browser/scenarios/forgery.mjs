// Cross-site request forgery from a page on another port of the same host: same site, so the
// browser sends the admin's SameSite=Lax session cookie with the forms it auto-submits, and only
// the server's same-origin check stands between that page and the admin's powers. The admin
// signs in through the login page, then visits each attacker page in turn; every forged post
// must be refused as cross-site although it carried the session. The session survives, and the
// site's own sign-out form (with its token) still works.
//
// input.attacks  [{page, target}]: an attacker page's URL and the URL its form posts to
// input.record   a file to write, as JSON, what the browser sent ({import_body}: the forged
//                class list as it went on the wire, so the test can show it was a real threat)

import fs from 'node:fs';

export default async function forgery(ctx) {
  const { page, input } = ctx;
  ctx.expect(Array.isArray(input.attacks) && input.attacks.length && input.record, 'forgery needs input.attacks and input.record');

  await ctx.goto('/login');
  await page.locator('input#email').fill(ctx.account.email);
  await page.locator('input#password').fill(ctx.account.password);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  await page.waitForURL(ctx.url('/me'));
  await ctx.expectText('h1', 'My learning');

  const record = {};
  for (const { page: attacker, target } of input.attacks) {
    const forged = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
    // 'commit': the attacker page submits its form while it loads, which would interrupt a
    // wait for its own load event.
    await page.goto(attacker, { waitUntil: 'commit' });
    const response = await forged;
    await page.waitForLoadState('load');
    const request = response.request();
    const headers = await request.allHeaders();
    // Without the session cookie the refusal would prove nothing: the attack must be real.
    ctx.expect(
      /(^|;\s*)caravan_session=/.test(headers.cookie ?? ''),
      `the forged POST ${target} went without the session cookie (cookie: ${headers.cookie}), so it tests nothing`,
    );
    ctx.expect(
      headers.origin && headers.origin !== new URL(ctx.base).origin,
      `the forged POST ${target} should name the attacker's origin, sent ${headers.origin}`,
    );
    const body = await response.text().catch(() => '');
    let code;
    try {
      code = JSON.parse(body).code;
    } catch {
      code = undefined;
    }
    ctx.expect(
      response.status() === 403 && code === 'cross-site-request',
      `POST ${target} from ${headers.origin} (content-type ${headers['content-type']}) answered ${response.status()}: ${body.slice(0, 300)}`,
    );
    if (target.endsWith('/members:import')) record.import_body = request.postData();
  }
  fs.writeFileSync(input.record, JSON.stringify(record));
  await ctx.shot('refused');

  // The forged sign-out did not end the session.
  await ctx.goto('/me');
  ctx.expect(page.url() === ctx.url('/me'), `after the attacks /me went to ${page.url()}`);
  await ctx.expectText('h1', 'My learning');

  // This site's own form carries its token and is let through.
  const signOut = page.locator('header form[action="/logout"] button[type="submit"]');
  await signOut.click();
  await page.waitForURL(ctx.url('/'));
  await ctx.expectVisible('header a[href="/login"]');
  await ctx.shot('signed-out');
  await ctx.goto('/me');
  await ctx.expectVisible('form[action="/login"] input#email');
}
