// A cmi5 AU for Caravan's browser tests, written as the specification says a foreign AU behaves,
// on Rustici's cmi5 client (@rusticisoftware/cmi5, loaded beside this file as cmi5.js).
//
// It reads its launch parameters, fetches the auth token, loads LMS.LaunchData, sends
// initialized, then what its query's `do` says (`passed`, `completed`, or both joined by `+`),
// then terminated, and goes back to the LMS's returnURL. What it found is left on <body>
// (data-cookie: whether Caravan's cookies were readable; data-done or data-error) for the test.

/* global Cmi5 */
(async () => {
  const body = document.body;
  const show = (text) => {
    document.querySelector('#status').textContent = text;
  };
  try {
    // A sandboxed page has an opaque origin: document.cookie throws or reads nothing.
    let cookie = 'blocked';
    try {
      if (document.cookie.length > 0) cookie = 'readable';
    } catch (e) {
      cookie = 'blocked';
    }
    body.dataset.cookie = cookie;
    const cmi5 = new Cmi5(window.location.href);
    await cmi5.start();
    body.dataset.launchMode = cmi5.getLaunchMode();
    body.dataset.moveOn = cmi5.getMoveOn ? cmi5.getMoveOn() : '';
    const steps = (new URL(window.location.href).searchParams.get('do') || '').split('+');
    for (const step of steps) {
      if (step === 'passed') await cmi5.passed({ scaled: 0.9 });
      if (step === 'completed') await cmi5.completed();
    }
    await cmi5.terminate();
    body.dataset.done = 'true';
    show('Finished');
    const back = cmi5.getReturnURL();
    if (back) setTimeout(() => window.location.assign(back), 300);
  } catch (e) {
    body.dataset.error = String(e && e.message ? e.message : e);
    show(`Failed: ${body.dataset.error}`);
  }
})();
