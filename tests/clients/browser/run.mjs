#!/usr/bin/env node
// Drives Debian's Chromium (headless, phone-sized) through Caravan's server-rendered pages.
//
//   node tests/clients/browser/run.mjs <scenario> [<scenario>…]
//
// Environment:
//   CARAVAN_URL       base URL of the running server (required), e.g. http://127.0.0.1:41234
//   CARAVAN_EMAIL     } a learner account, for scenarios that sign in (ctx.login())
//   CARAVAN_PASSWORD  }
//   CARAVAN_INPUT     optional path to a JSON file of scenario inputs (ctx.input)
//   SCREENSHOT_DIR    where the PNGs go, named <scenario>-<step>.png (created; default: a
//                     caravan-screenshots folder in the system's temp folder)
//   CARAVAN_CHROMIUM  the browser binary (default /usr/bin/chromium)
//
// A scenario is scenarios/<name>.mjs. It exports `default async function (ctx)` and, if it
// needs another language than en-US, `export const locale = 'zh-CN'` (and to browse with
// JavaScript off, `export const javaScriptEnabled = false`; one that waits on the server's own
// work, such as transcoding, may allow itself longer, up to 240 s: `export const timeoutSeconds`).
// Each scenario gets its own browser context: a 360×740 viewport at device scale factor 2, mobile and touch. It fails
// when it throws (a failed expectation says what was expected and what the page had), when it
// takes more than its time (60 s unless it says otherwise), or when the page throws an uncaught
// error (`pageerror`). Console errors are reported but do not fail it. A failed scenario leaves <scenario>-failure.png behind.
//
// Prints ONE line of JSON on stdout:
//   {"ok": bool, "scenarios": [{"name", "ok", "error"?, "screenshots": [paths],
//                               "console_errors": [..]}]}
// (plus "error" at the top level when the runner itself could not work). Anything a scenario
// logs goes to stderr. Exit code: 0 all passed, 1 one or more failed, 2 usage error (unknown
// scenario, no CARAVAN_URL, unreadable CARAVAN_INPUT).
// Run `npm ci --prefix tests/clients` (scripts/test does) before using it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = path.join(HERE, 'scenarios');
const AXE = path.join(HERE, '..', 'node_modules', 'axe-core', 'axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
let axeText;
const axeSource = () => (axeText ??= fs.readFileSync(AXE, 'utf8'));
const VIEWPORT = { width: 360, height: 740 };
const SCENARIO_TIMEOUT_MS = 60_000;
const EXPECT_TIMEOUT_MS = 10_000;
const ACTION_TIMEOUT_MS = 15_000;
const NAVIGATION_TIMEOUT_MS = 30_000;

// stdout carries the report alone.
const stdout = process.stdout;
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);

function emit(report) {
  stdout.write(`${JSON.stringify(report)}\n`);
}

function usage(message) {
  const text = `run.mjs: ${message}\nusage: CARAVAN_URL=http://host:port node run.mjs <scenario> [<scenario>…]\nscenarios: ${available().join(', ')}`;
  console.error(text);
  emit({ ok: false, error: message, scenarios: [] });
  process.exit(2);
}

function available() {
  try {
    return fs
      .readdirSync(SCENARIOS)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => f.slice(0, -4))
      .sort();
  } catch {
    return [];
  }
}

function oneLine(text, max = 400) {
  const s = String(text ?? '').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/// The first line of an error (Playwright's call log follows on further lines), without
/// terminal colours.
function short(err) {
  const message = err instanceof Error ? err.message : String(err);
  // eslint-disable-next-line no-control-regex
  return message.split('\n')[0].replace(/\u001b\[[0-9;]*m/g, '');
}

/// An unexpected error: its first line and where in a scenario (or the runner) it was thrown.
function describeError(err) {
  const frames = String(err?.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line) && line.includes(HERE))
    .slice(0, 3)
    .map((line) => line.trim().replace(`file://${HERE}/`, '').replace(`${HERE}/`, ''));
  return frames.length ? `${short(err)} (${frames.join(' ← ')})` : short(err);
}

class ExpectationFailed extends Error {}

function makeContext({ name, page, context, base, input, locale, screenshotDir, screenshots }) {
  const where = () => page.url();

  const ctx = {
    name,
    page,
    context,
    base,
    input,
    locale,
    viewport: VIEWPORT,
    /// The learner account from CARAVAN_EMAIL / CARAVAN_PASSWORD, or null.
    account:
      process.env.CARAVAN_EMAIL && process.env.CARAVAN_PASSWORD
        ? { email: process.env.CARAVAN_EMAIL, password: process.env.CARAVAN_PASSWORD }
        : null,

    /// An absolute URL on the server under test.
    url(p) {
      return new URL(p, base).toString();
    },

    /// Opens a page of the server; fails on a network error or an HTTP error status.
    async goto(p) {
      const target = ctx.url(p);
      const response = await page.goto(target, { waitUntil: 'load' });
      if (response && response.status() >= 400) {
        throw new ExpectationFailed(`GET ${target} answered ${response.status()}`);
      }
      return response;
    },

    /// Signs in with the account through the JSON API; the session cookie it sets is shared
    /// with the pages of this context. Returns the API's answer ({token, user}).
    async login() {
      if (!ctx.account) {
        throw new ExpectationFailed(`${name} needs CARAVAN_EMAIL and CARAVAN_PASSWORD`);
      }
      const response = await context.request.post(ctx.url('/api/v1/auth/login'), {
        data: ctx.account,
      });
      if (!response.ok()) {
        throw new ExpectationFailed(
          `login as ${ctx.account.email} answered ${response.status()}: ${oneLine(await response.text())}`,
        );
      }
      return response.json();
    },

    /// Saves SCREENSHOT_DIR/<scenario>-<step>.png (the whole page unless fullPage: false).
    async shot(step, { fullPage = true } = {}) {
      if (!/^[A-Za-z0-9._-]+$/.test(step)) throw new Error(`bad screenshot name ${JSON.stringify(step)}`);
      const file = path.join(screenshotDir, `${name}-${step}.png`);
      await page.screenshot({ path: file, fullPage });
      screenshots.push(file);
      return file;
    },

    /// Submits an API form (`form.api-form`, a locator) and waits for the reload that follows
    /// success; a refusal fails with the message the form shows.
    async submit(form) {
      const loaded = page.waitForEvent('load', { timeout: EXPECT_TIMEOUT_MS });
      await form.locator('button[type="submit"]').click();
      await loaded.catch(async () => {
        const said = await form.locator('.form-status').innerText().catch(() => '');
        throw new ExpectationFailed(
          `${await form.getAttribute('data-action')} did not reload ${where()}; the form says: ${oneLine(said)}`,
        );
      });
    },

    /// Runs axe-core's WCAG 2.1 A and AA rules on the page as it is now; fails on serious and
    /// critical violations, naming each rule and the first elements it found.
    async expectAccessible() {
      // Evaluated through the devtools protocol, which the page's Content-Security-Policy (no
      // inline scripts) does not govern; a script tag would be refused, as it should be.
      if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource());
      const violations = await page.evaluate(
        async (tags) => (await window.axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations,
        AXE_TAGS,
      );
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      if (bad.length > 0) {
        const list = bad.map((v) => `${v.id} (${v.impact}: ${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        throw new ExpectationFailed(`accessibility problems on ${where()}: ${list.join('; ')}`);
      }
    },

    /// Waits until an element matching `selector` is visible.
    async expectVisible(selector, { timeout = EXPECT_TIMEOUT_MS } = {}) {
      const locator = page.locator(selector).first();
      try {
        await locator.waitFor({ state: 'visible', timeout });
      } catch (err) {
        const count = await page.locator(selector).count().catch(() => 0);
        throw new ExpectationFailed(
          `expected ${selector} to be visible within ${timeout} ms on ${where()}; ` +
            (count ? `${count} match(es), none visible` : 'nothing matches') +
            `; the page says: ${oneLine(await page.locator('body').innerText().catch(() => ''), 300)}`,
        );
      }
      return locator;
    },

    /// Waits until an element matching `selector` contains `substring` (case-sensitive).
    async expectText(selector, substring, { timeout = EXPECT_TIMEOUT_MS } = {}) {
      const escaped = String(substring).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const locator = page.locator(selector).filter({ hasText: new RegExp(escaped) }).first();
      try {
        await locator.waitFor({ state: 'visible', timeout });
      } catch (err) {
        const texts = await page
          .locator(selector)
          .allInnerTexts()
          .catch(() => []);
        throw new ExpectationFailed(
          `expected ${selector} to contain ${JSON.stringify(substring)} within ${timeout} ms on ${where()}; ` +
            (texts.length
              ? `it has: ${texts.slice(0, 3).map((t) => JSON.stringify(oneLine(t, 200))).join(', ')}`
              : 'nothing matches'),
        );
      }
      return locator;
    },

    /// Waits until at least `min` elements match `selector`; returns how many do.
    async expectCount(selector, min = 1, { timeout = EXPECT_TIMEOUT_MS } = {}) {
      try {
        await page.locator(selector).nth(min - 1).waitFor({ state: 'attached', timeout });
      } catch (err) {
        const count = await page.locator(selector).count().catch(() => 0);
        throw new ExpectationFailed(
          `expected at least ${min} × ${selector} within ${timeout} ms on ${where()}; found ${count}`,
        );
      }
      return page.locator(selector).count();
    },

    /// Fails unless the page fits the viewport's width (no horizontal scrolling).
    async expectNoHorizontalScroll() {
      const found = await page.evaluate((limit) => {
        const width = document.documentElement.scrollWidth;
        if (width <= limit) return { width, wide: [] };
        const describe = (el) =>
          el.tagName.toLowerCase() +
          (el.id ? `#${el.id}` : '') +
          (typeof el.className === 'string' && el.className.trim()
            ? `.${el.className.trim().split(/\s+/).join('.')}`
            : '');
        const wide = [...document.body.querySelectorAll('*')]
          .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
          .filter((el) => !el.parentElement || el.parentElement.getBoundingClientRect().right <= limit + 0.5)
          .slice(0, 5)
          .map((el) => `${describe(el)} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
        return { width, wide };
      }, VIEWPORT.width);
      if (found.width > VIEWPORT.width) {
        throw new ExpectationFailed(
          `${where()} is ${found.width} px wide in a ${VIEWPORT.width} px viewport (horizontal scrolling)` +
            (found.wide.length ? `; overflowing: ${found.wide.join(', ')}` : ''),
        );
      }
    },

    /// A plain assertion.
    expect(condition, message) {
      if (!condition) throw new ExpectationFailed(message);
    },
  };
  return ctx;
}

async function runScenario(browser, name, options) {
  const result = { name, ok: false, screenshots: [], console_errors: [] };
  const pageErrors = [];
  let mod;
  try {
    mod = await import(pathToFileURL(path.join(SCENARIOS, `${name}.mjs`)).href);
  } catch (err) {
    result.error = `could not load scenarios/${name}.mjs: ${err?.stack ?? err}`;
    return result;
  }
  const locale = mod.locale ?? 'en-US';
  const javaScriptEnabled = mod.javaScriptEnabled ?? true;
  const timeoutMs = (mod.timeoutSeconds ?? SCENARIO_TIMEOUT_MS / 1000) * 1000;
  let context;
  let page;
  let timer;
  try {
    context = await browser.newContext({
      viewport: VIEWPORT,
      screen: VIEWPORT,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale,
      javaScriptEnabled,
    });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    context.on('page', (p) => {
      p.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const loc = msg.location();
        const at = loc?.url ? ` (${loc.url}${loc.lineNumber ? `:${loc.lineNumber}` : ''})` : '';
        result.console_errors.push(`${oneLine(msg.text())}${at}`);
      });
      p.on('pageerror', (err) => {
        const text = `uncaught ${err?.name ?? 'error'}: ${oneLine(err?.message ?? err)}`;
        pageErrors.push(text);
        result.console_errors.push(text);
      });
    });
    page = await context.newPage();
    const ctx = makeContext({
      name,
      page,
      context,
      base: options.base,
      input: options.input,
      locale,
      screenshotDir: options.screenshotDir,
      screenshots: result.screenshots,
    });
    const body = Promise.resolve().then(() => mod.default(ctx));
    body.catch(() => {}); // settled below, or abandoned after a timeout
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new ExpectationFailed(`timed out after ${timeoutMs / 1000} s (on ${page.url()})`)),
        timeoutMs,
      );
    });
    await Promise.race([body, timeout]);
    if (pageErrors.length) throw new ExpectationFailed(`the page threw: ${pageErrors.join('; ')}`);
    result.ok = true;
  } catch (err) {
    let message = err instanceof ExpectationFailed ? err.message : describeError(err);
    if (pageErrors.length && !message.startsWith('the page threw')) {
      message += ` (the page also threw: ${pageErrors.join('; ')})`;
    }
    result.error = message;
    if (page && !page.isClosed()) {
      const file = path.join(options.screenshotDir, `${name}-failure.png`);
      try {
        await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
        result.screenshots.push(file);
      } catch {
        // the page is gone; nothing to show
      }
    }
  } finally {
    clearTimeout(timer);
    if (context) await context.close().catch(() => {});
  }
  return result;
}

async function main() {
  const names = process.argv.slice(2);
  if (names.length === 0) usage('name at least one scenario');
  const known = available();
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) usage(`unknown scenario(s): ${unknown.join(', ')}`);

  const rawBase = process.env.CARAVAN_URL;
  if (!rawBase) usage('CARAVAN_URL is not set');
  let base;
  try {
    base = new URL(rawBase).toString();
  } catch {
    usage(`CARAVAN_URL is not a URL: ${rawBase}`);
  }

  let input = {};
  if (process.env.CARAVAN_INPUT) {
    try {
      input = JSON.parse(fs.readFileSync(process.env.CARAVAN_INPUT, 'utf8'));
    } catch (err) {
      usage(`CARAVAN_INPUT ${process.env.CARAVAN_INPUT}: ${err.message}`);
    }
  }

  const screenshotDir = path.resolve(
    process.env.SCREENSHOT_DIR || path.join(os.tmpdir(), 'caravan-screenshots'),
  );
  fs.mkdirSync(screenshotDir, { recursive: true });

  const executablePath = process.env.CARAVAN_CHROMIUM || '/usr/bin/chromium';
  // A headless machine has no GPU: WebGL (the 360° and model viewers) runs on SwiftShader,
  // which Chromium only allows for WebGL when asked.
  const args = ['--disable-dev-shm-usage', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'];
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');

  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args, timeout: 60_000 });
  } catch (err) {
    const error = `could not start ${executablePath} (apt-get install chromium, or set CARAVAN_CHROMIUM): ${short(err)}`;
    console.error(String(err?.stack ?? err));
    emit({
      ok: false,
      error,
      scenarios: names.map((name) => ({ name, ok: false, error, screenshots: [], console_errors: [] })),
    });
    process.exit(1);
  }

  const scenarios = [];
  try {
    for (const name of names) {
      scenarios.push(await runScenario(browser, name, { base, input, screenshotDir }));
    }
  } finally {
    await browser.close().catch(() => {});
  }
  const ok = scenarios.every((s) => s.ok);
  emit({ ok, scenarios });
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  emit({ ok: false, error: `run.mjs crashed: ${short(err)}`, scenarios: [] });
  process.exit(1);
});
