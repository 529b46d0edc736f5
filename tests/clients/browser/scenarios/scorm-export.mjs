// A course Caravan exported as SCORM 1.2 and imported again, played in the unit pages' frames
// on scorm-again: the quiz SCO is answered and passes, the document SCO completes when shown,
// the video SCO completes when played through; each Finish ends the SCO's session.
//
// input.quiz, input.document, input.video   /courses/{course}/units/{unit} of each SCO

export default async function scormExport(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.quiz && input.document && input.video, 'scorm-export needs input.quiz, .document, .video');
  await ctx.login();

  async function start(unit) {
    await ctx.goto(unit);
    await page.locator('section.scorm form button').click();
    return page.frameLocator('section.scorm iframe');
  }
  async function finish(sco, unit, what) {
    await sco.locator('button.finish').click();
    await sco.locator('#status', { hasText: 'close' }).waitFor({ timeout: 30000 });
    await ctx.goto(unit);
    const state = await page.locator('.unit-state').getAttribute('data-state');
    ctx.expect(state === 'completed', `${what}: the unit is ${state}`);
  }

  let sco = await start(input.quiz);
  await sco.locator('input[name="q1"][value="1"]').check();
  await sco.locator('input[name="q2"][value="1"]').check();
  await sco.locator('form.quiz button[type="submit"]').click();
  const result = await sco.locator('p.result').textContent({ timeout: 10000 });
  ctx.expect(/2 of 2/.test(result) && /passed/.test(result), `the quiz says ${result}`);
  await ctx.shot('quiz');
  await finish(sco, input.quiz, 'quiz');

  sco = await start(input.document);
  await sco.locator('a[download]').waitFor({ timeout: 10000 });
  await finish(sco, input.document, 'document');

  sco = await start(input.video);
  await sco.locator('video').evaluate((v) => { v.muted = true; return v.play(); });
  await sco.locator('#status', { hasText: 'Completed' }).waitFor({ timeout: 30000 });
  await ctx.shot('video');
  await finish(sco, input.video, 'video');
}
