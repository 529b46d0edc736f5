// A minimal SCORM 1.2 SCO, written from the SCORM 1.2 Run-Time Environment: it finds the API
// the way ADL's sample SCOs do (its own window, then its parents, then its opener), starts, and
// either suspends halfway (first visit of an attempt) or, resumed, scores and passes. What it
// saw goes on <body> as data attributes for the test to read.
(function () {
  var body = document.body;
  function say(name, value) { body.setAttribute('data-' + name, String(value)); }
  function findAPI(win) {
    var tries = 0;
    while (win.API == null && win.parent != null && win.parent !== win && tries < 7) {
      tries += 1;
      win = win.parent;
    }
    return win.API;
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
      throw new Error(what + ' failed: ' + api.LMSGetLastError() + ' ' + api.LMSGetErrorString(api.LMSGetLastError()));
    }
  }
  try {
    check(api.LMSInitialize(''), 'LMSInitialize');
    var entry = api.LMSGetValue('cmi.core.entry');
    var suspended = api.LMSGetValue('cmi.suspend_data');
    say('entry', entry);
    say('suspend', suspended);
    say('location', api.LMSGetValue('cmi.core.lesson_location'));
    say('student', api.LMSGetValue('cmi.core.student_id'));
    if (suspended === '') {
      check(api.LMSSetValue('cmi.core.lesson_location', 'page-2'), 'lesson_location');
      check(api.LMSSetValue('cmi.suspend_data', 'visited'), 'suspend_data');
      check(api.LMSSetValue('cmi.core.lesson_status', 'incomplete'), 'lesson_status');
      check(api.LMSSetValue('cmi.core.exit', 'suspend'), 'exit');
      check(api.LMSSetValue('cmi.core.session_time', '00:00:05'), 'session_time');
      check(api.LMSCommit(''), 'LMSCommit');
      check(api.LMSFinish(''), 'LMSFinish');
      say('done', 'suspended');
    } else {
      check(api.LMSSetValue('cmi.core.score.raw', '90'), 'score.raw');
      check(api.LMSSetValue('cmi.core.lesson_status', 'passed'), 'lesson_status');
      check(api.LMSSetValue('cmi.interactions.0.id', 'q1'), 'interactions');
      check(api.LMSSetValue('cmi.interactions.0.type', 'choice'), 'interactions');
      check(api.LMSSetValue('cmi.interactions.0.student_response', 'b'), 'interactions');
      check(api.LMSSetValue('cmi.core.exit', ''), 'exit');
      check(api.LMSSetValue('cmi.core.session_time', '00:01:00'), 'session_time');
      check(api.LMSFinish(''), 'LMSFinish');
      say('done', 'passed');
    }
  } catch (e) {
    say('error', e.message);
  }
})();
