// A guest on a phone plays a public course's lecture and answers its quiz without an account:
// a line offers to sign in, nothing is sent meanwhile, and signing in through the page's own
// link and form sends it all as the learner's; back on the quiz, the page shows the score.
//
// input.video_path  /courses/{course}/units/{unit} of a processed lecture
// input.quiz_path   the same of a quiz unit whose right answers are q0 = choice 1, q1 = true
// (ctx.account is the learner who signs in at the end)

const queue = (page, key) => page.evaluate((k) => JSON.parse(localStorage.getItem(k) || '[]'), key);

export default async function guest(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.video_path && input.quiz_path, 'guest needs input.video_path and input.quiz_path');
  const posted = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.method() === 'POST' && (path.startsWith('/xapi/') || path.includes('/quiz'))) posted.push(path);
  });

  await ctx.goto(input.video_path);
  await ctx.expectVisible('.guest-note');
  await ctx.expectVisible('figure.player[data-ready="true"]');
  await page.locator('video#player').evaluate((v) => {
    v.muted = true;
    return v.play();
  });
  await page.waitForFunction(() => {
    const v = document.getElementById('player');
    if (v.currentTime <= 2) return false;
    v.pause();
    return true;
  }, null, { timeout: 20000 })
    .catch(() => { throw new Error('the lecture did not play for a guest'); });
  await page.waitForFunction(
    () => JSON.parse(localStorage.getItem('caravan-xapi-queue') || '[]').some((s) => s.verb.id.endsWith('/verbs/paused')),
    null, { timeout: 10000 },
  ).catch(() => { throw new Error('no paused statement was kept on the device'); });
  const statements = await queue(page, 'caravan-xapi-queue');
  ctx.expect(statements.every((s) => s.actor === undefined),
    `a guest's statements wait without an actor, these have ${JSON.stringify(statements.map((s) => s.actor))}`);
  await ctx.shot('lecture');
  await ctx.expectAccessible();

  await ctx.goto(input.quiz_path);
  await ctx.expectVisible('.guest-note');
  await page.locator('input[name="q0"][value="1"]').check();
  await page.locator('input[name="q1"][value="true"]').check();
  await page.locator('form.quiz button[type="submit"]').click();
  await ctx.expectVisible('.guest-kept');
  const kept = await queue(page, 'caravan-quiz-queue');
  ctx.expect(kept.length === 1 && JSON.stringify(kept[0].answers) === '[1,true]',
    `the device keeps the answers [1,true], it has ${JSON.stringify(kept)}`);
  ctx.expect(posted.length === 0, `a guest sent ${posted.join(', ')}`);
  await ctx.shot('answers-kept');
  await ctx.expectAccessible();

  // The line's own link: sign in, and come back to the quiz.
  await page.locator('.guest-kept a').click();
  await page.waitForURL(/\/login\?next=/);
  await page.fill('#email', ctx.account.email);
  await page.fill('#password', ctx.account.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === input.quiz_path),
    page.locator('form[action="/login"] button[type="submit"]').click(),
  ]);
  // The kept answers are scored (the page reloads to show it) and the lecture's statements sent.
  await ctx.expectText('main p.meta', 'best: 100');
  await page.waitForFunction(
    () => ['caravan-xapi-queue', 'caravan-quiz-queue'].every((k) => (localStorage.getItem(k) || '[]') === '[]'),
    null, { timeout: 20000 },
  ).catch(() => { throw new Error('what the guest did stayed on the device after signing in'); });
  await ctx.shot('scored');
}
