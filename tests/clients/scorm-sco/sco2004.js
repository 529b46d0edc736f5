// A minimal SCORM 2004 SCO, written from the SCORM 2004 4th Edition Run-Time Environment: it
// finds API_1484_11 the way ADL's sample SCOs do (its own window, then its parents, then its
// opener), starts, and either suspends halfway (first visit of an attempt) or, resumed, scores
// and passes. What it saw goes on <body> as data attributes for the test to read (the same as
// sco.js, the SCORM 1.2 one).
(function () {
  var body = document.body;
  function say(name, value) { body.setAttribute('data-' + name, String(value)); }
  function findAPI(win) {
    var tries = 0;
    while (win.API_1484_11 == null && win.parent != null && win.parent !== win && tries < 7) {
      tries += 1;
      win = win.parent;
    }
    return win.API_1484_11;
  }
  var api = null;
  try {
    api = findAPI(window) || (window.opener && findAPI(window.opener));
  } catch (e) {
    // A parent of another origin cannot be searched: the API must be this window's.
  }
  if (!api) { say('error', 'no API'); return; }
  try {
    document.cookie;
    say('cookie', 'readable');
  } catch (e) {
    say('cookie', 'blocked');
  }
  function check(ok, what) {
    if (String(ok) !== 'true') {
      throw new Error(what + ' failed: ' + api.GetLastError() + ' ' + api.GetErrorString(api.GetLastError()));
    }
  }
  try {
    check(api.Initialize(''), 'Initialize');
    var entry = api.GetValue('cmi.entry');
    var suspended = api.GetValue('cmi.suspend_data');
    say('entry', entry);
    say('suspend', suspended);
    say('location', api.GetValue('cmi.location'));
    say('student', api.GetValue('cmi.learner_id'));
    if (suspended === '') {
      check(api.SetValue('cmi.location', 'page-2'), 'location');
      check(api.SetValue('cmi.suspend_data', 'visited'), 'suspend_data');
      check(api.SetValue('cmi.completion_status', 'incomplete'), 'completion_status');
      check(api.SetValue('cmi.exit', 'suspend'), 'exit');
      check(api.SetValue('cmi.session_time', 'PT5S'), 'session_time');
      check(api.Commit(''), 'Commit');
      check(api.Terminate(''), 'Terminate');
      say('done', 'suspended');
    } else {
      check(api.SetValue('cmi.score.scaled', '0.9'), 'score.scaled');
      check(api.SetValue('cmi.completion_status', 'completed'), 'completion_status');
      check(api.SetValue('cmi.interactions.0.id', 'q1'), 'interactions');
      check(api.SetValue('cmi.interactions.0.type', 'choice'), 'interactions');
      check(api.SetValue('cmi.interactions.0.learner_response', 'b'), 'interactions');
      check(api.SetValue('cmi.exit', 'normal'), 'exit');
      check(api.SetValue('cmi.session_time', 'PT1M'), 'session_time');
      check(api.Terminate(''), 'Terminate');
      say('done', 'passed');
    }
  } catch (e) {
    say('error', e.message);
  }
})();
