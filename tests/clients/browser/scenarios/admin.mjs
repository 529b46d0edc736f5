// An organisation admin on a phone imports a class list, makes a join code, and reads the
// training report: a chart drawn by the server, a table, and a CSV download.
//
// input.org_id  the organisation the account administers

export default async function admin(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.org_id, 'admin needs input.org_id');
  await ctx.login();
  await ctx.goto('/');
  await page.locator('header a[href="/admin"]').click();
  await page.locator(`a[href="/admin/orgs/${input.org_id}"]`).click();
  await page.waitForURL(new RegExp(`/admin/orgs/${input.org_id}$`));
  await ctx.expectNoHorizontalScroll();
  await page.locator('#class-list').fill(
    'email,display_name,role,password\nwang.fang@example.cn,王芳,learner,password-123\nli.lei@example.cn,李雷,learner,password-123\n',
  );
  await page.locator('form[data-action$="members:import"] button[type="submit"]').click();
  await ctx.expectText('form[data-action$="members:import"] output[data-state="done"]', '✓ 2');
  await page.locator('form[data-action$="/join-codes"] button[type="submit"]').click();
  await ctx.expectCount('ul.codes code', 1);
  await ctx.expectText('table.members', '王芳');
  await ctx.shot('org');
  await ctx.expectAccessible();

  await ctx.goto(`/admin/orgs/${input.org_id}/reports?group_by=domain`);
  await ctx.expectVisible('figure.chart-box svg.chart');
  await ctx.expectCount('svg.chart rect.completed', 1);
  await ctx.expectNoHorizontalScroll();
  await ctx.shot('report');
  await ctx.expectAccessible();
  const href = await page.locator('a.csv').getAttribute('href');
  const csv = await page.request.get(ctx.url(href));
  ctx.expect(csv.ok() && (csv.headers()['content-type'] || '').startsWith('text/csv'), `the CSV link answered ${csv.status()}`);
  const text = await csv.text();
  ctx.expect(text.includes('domain'), `the CSV has no domain column: ${text.slice(0, 200)}`);
}
