// A learner plays a SCORM 1.2 SCO from its unit page, three times. The SCO is plain SCORM
// content (tests/clients/scorm-sco/sco.js) that finds the API by ADL's algorithm; the unit page
// frames it, sandboxed, and Caravan's launch page gives it scorm-again's runtime with the
// attempt's data. First it suspends halfway; resumed, it reads its suspend data back, scores
// and passes, and the unit shows completed; the third launch is a new attempt from the start.
//
// input.unit   /courses/{course}/units/{unit} of the SCO

export default async function scorm(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.unit, 'scorm needs input.unit');
  await ctx.login();

  async function play() {
    await ctx.goto(input.unit);
    await ctx.expectVisible('section.scorm form button');
    await page.locator('section.scorm form button').click();
    const sco = page.frameLocator('section.scorm iframe');
    const done = sco.locator('body[data-done], body[data-error]');
    await done.waitFor({ timeout: 20000 });
    const body = sco.locator('body');
    const error = await body.getAttribute('data-error');
    ctx.expect(error === null, `the SCO failed: ${error}`);
    ctx.expect(await body.getAttribute('data-cookie') === 'blocked', 'the SCO could read Caravan\'s cookies');
    return {
      done: await body.getAttribute('data-done'),
      entry: await body.getAttribute('data-entry'),
      suspend: await body.getAttribute('data-suspend'),
      location: await body.getAttribute('data-location'),
    };
  }

  const first = await play();
  ctx.expect(first.entry === 'ab-initio' && first.done === 'suspended', `first launch: ${JSON.stringify(first)}`);
  await ctx.expectAccessible();
  await ctx.shot('suspended');

  const resumed = await play();
  ctx.expect(resumed.entry === 'resume', `resumed with entry ${resumed.entry}`);
  ctx.expect(resumed.suspend === 'visited' && resumed.location === 'page-2',
    `the suspend data and location came back: ${JSON.stringify(resumed)}`);
  ctx.expect(resumed.done === 'passed', `resumed: ${JSON.stringify(resumed)}`);
  await ctx.goto(input.unit);
  await ctx.expectVisible('.unit-state[data-state="completed"]');
  await ctx.shot('completed');

  const second = await play();
  ctx.expect(second.entry === 'ab-initio' && second.suspend === '' && second.done === 'suspended',
    `a second attempt starts afresh: ${JSON.stringify(second)}`);
}
