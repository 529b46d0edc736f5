// Caravan as an app on a phone: the pages link a valid web app manifest (name, icons in the
// sizes phones ask for, standalone display, start URL), the service worker controls the start
// URL, Chromium finds nothing that stops installation, and no page logs an error. With the
// network gone, a page that was never kept opens the offline start page instead of the
// browser's error.

export default async function install(ctx) {
  const { page, context } = ctx;
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} (${m.location()?.url ?? ''})`); });
  page.on('pageerror', (e) => errors.push(String(e)));

  await ctx.goto('/');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await ctx.goto('/');
  const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
  ctx.expect(controller && controller.endsWith('/sw.js'), `the service worker controls the start URL (controller: ${controller})`);

  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  ctx.expect(manifest.url.endsWith('/manifest.webmanifest'), `the page links the manifest: ${manifest.url}`);
  ctx.expect(manifest.errors.length === 0, `the manifest parses cleanly: ${JSON.stringify(manifest.errors)}`);
  const parsed = JSON.parse(manifest.data);
  ctx.expect(parsed.display === 'standalone' && parsed.start_url === '/', `standalone from /: ${manifest.data}`);
  for (const size of ['192x192', '512x512']) {
    ctx.expect(parsed.icons.some((i) => i.sizes === size && i.type === 'image/png'), `a ${size} PNG icon`);
  }
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // A Playwright context is an incognito profile, which Chromium never offers to install from;
  // that one is about the test's browser, not the page.
  const blocking = installabilityErrors.filter((e) => e.errorId !== 'in-incognito');
  ctx.expect(blocking.length === 0, `nothing stops installation: ${JSON.stringify(installabilityErrors)}`);

  // Every icon the manifest names is the image it says.
  for (const icon of parsed.icons) {
    const size = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      return `${img.naturalWidth}x${img.naturalHeight}`;
    }, icon.src);
    ctx.expect(size === icon.sizes, `${icon.src} is ${size}, the manifest says ${icon.sizes}`);
  }
  const favicon = await page.evaluate(async () => (await fetch('/favicon.ico')).headers.get('content-type'));
  ctx.expect(favicon === 'image/x-icon', `/favicon.ico is an icon (${favicon})`);
  await ctx.shot('start');

  // Offline: a page never visited opens the offline start page from the service worker.
  await context.setOffline(true);
  await page.goto(ctx.url('/courses/never-opened-here'), { waitUntil: 'load' });
  const heading = await page.locator('h1').textContent();
  ctx.expect(/offline/i.test(heading), `the offline start page, not "${heading}"`);
  await ctx.expectVisible('#saved-courses li');
  await ctx.shot('offline');
  await context.setOffline(false);

  ctx.expect(errors.length === 0, `no console errors: ${errors.join('; ')}`);
}
