// An organisation admin on a phone adds a member by hand and works with consortia and
// credentials: accepts a consortium's
// invitation, founds a consortium and invites a partner by its id, issues a credential for
// learning done elsewhere, revokes it, and edits the credit rules in place. Every change goes
// through the API and shows after the page reloads.
//
// input.org_id          the organisation the account administers
// input.partner_org_id  another organisation, to invite
// input.invited_to      name of a consortium that has invited input.org_id
// input.learner_email   a member of input.org_id

export default async function adminMore(ctx) {
  const { page, input } = ctx;
  for (const k of ['org_id', 'partner_org_id', 'invited_to', 'learner_email']) ctx.expect(input[k], `admin-more needs input.${k}`);
  await ctx.login();
  await ctx.goto(`/admin/orgs/${input.org_id}`);

  // Add one member by hand.
  await page.locator('form.add-member').locator('xpath=..').locator('summary').click();
  await page.locator('#m-email').fill('zhao.lei@example.cn');
  await page.locator('#m-name').fill('赵磊');
  await page.locator('#m-password').fill('password-123');
  await page.locator('#m-role').selectOption('teacher');
  await ctx.submit(page.locator('form.add-member'));
  await ctx.expectText('table.members', '赵磊');

  // Accept the pending invitation.
  const invited = page.locator('article.consortium', { hasText: input.invited_to });
  ctx.expect(await invited.getAttribute('data-status') === 'invited', 'the invitation is not shown as pending');
  await ctx.submit(invited.locator('form[data-action$="/accept"]'));
  await ctx.expectVisible(`article.consortium[data-status="active"]:has-text("${input.invited_to}")`);

  // Found a consortium and invite the partner by its id.
  await page.locator('section[aria-labelledby="consortia-h"] details summary').click();
  await page.locator('#cons-name').fill('Care network');
  await page.locator('#cons-slug').fill('care-network');
  await ctx.submit(page.locator('form[data-action="/api/v1/consortia"]'));
  const founded = page.locator('article.consortium', { hasText: 'Care network' });
  await founded.waitFor();
  await founded.locator('input[name="org_id"][id^="invite-"]').fill(input.partner_org_id);
  await ctx.submit(founded.locator('form[data-action$="/invitations"]'));
  await ctx.expectText('article.consortium:has-text("Care network") ul.consortium-members', 'partner');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('consortia');

  // Issue a credential for recognised outside learning.
  await page.locator('section[aria-labelledby="creds-h"] details summary').click();
  await page.locator('#iss-email').fill(input.learner_email);
  await page.locator('#iss-name').fill('First aid certificate');
  await page.locator('#iss-desc').fill('Red Cross first aid course, 8 hours, passed.');
  await page.locator('#iss-level').selectOption('3');
  await page.locator('#iss-credits').fill('0');
  await page.locator('#iss-hours').fill('8');
  await ctx.submit(page.locator('form.issue'));
  const issued = page.locator('ul.credentials li', { hasText: 'First aid certificate' });
  await issued.waitFor();
  ctx.expect(await issued.getAttribute('data-revoked') === 'false', 'the new credential shows as revoked');

  // Revoke it, with a reason.
  await issued.locator('input[name="reason"]').fill('Issued to the wrong learner');
  await ctx.submit(issued.locator('form.revoke'));
  await ctx.expectVisible('ul.credentials li[data-revoked="true"]:has-text("First aid certificate")');

  // Credit rules, edited in place.
  await page.locator('#rule-hours').fill('10');
  await page.locator('input[name="level_multipliers.3"]').fill('1.5');
  await page.locator('#rule-certs').fill('First aid certificate\nForklift licence\n');
  await ctx.submit(page.locator('form.rules'));
  ctx.expect(Number(await page.locator('#rule-hours').inputValue()) === 10, 'hours per credit did not stick');
  ctx.expect(Number(await page.locator('input[name="level_multipliers.3"]').inputValue()) === 1.5, 'the level 3 multiplier did not stick');
  ctx.expect((await page.locator('#rule-certs').inputValue()).includes('Forklift licence'), 'the certificates did not stick');
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('credentials');
  await ctx.expectAccessible();
}
