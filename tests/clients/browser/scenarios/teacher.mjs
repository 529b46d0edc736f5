// A teacher on a phone adds a video unit to a course and uploads a lecture; the connection drops
// mid-upload and the page is reloaded, the same file is chosen again, and the upload resumes
// (one tus upload in all) and finishes; the page then shows the asset processed, and its poster
// is chosen to stand for the course.
//
// input.course_title  a course of the teacher's organisation
// input.file          path of the video file to upload
// input.poster_image  path of a square image (1000×1000) to upload as the course poster

import fs from 'node:fs';

// The scenario waits for the server to transcode the lecture and to process the poster image;
// on a loaded two-core machine (the whole test suite running beside it) that alone can take
// more than a minute.
export const timeoutSeconds = 240;

export default async function teacher(ctx) {
  const { page, context, input } = ctx;
  ctx.expect(input.course_title && input.file, 'teacher needs input.course_title and input.file');
  await ctx.login();
  await ctx.goto('/');
  await page.locator('header a[href="/teach"]').click();
  await page.waitForURL(/\/teach$/);
  await page.locator('a', { hasText: input.course_title }).first().click();
  await ctx.expectText('h1', input.course_title);

  // Edit the course's facts: the editor saves through the API and shows them after a reload.
  await page.locator('details.edit-course summary').click();
  await page.locator('#c-credits').fill('3');
  await page.locator('#c-minutes').fill('45');
  await page.locator('#c-summary').fill('Hand hygiene and safe moving of patients.');
  await ctx.submit(page.locator('form[data-method="PATCH"]').first());
  await page.locator('details.edit-course summary').click();
  await page.waitForFunction(() => document.getElementById('c-minutes')?.value === '45', null, { timeout: 10000 })
    .catch(() => { throw new Error('the edited duration did not stick'); });

  await page.locator('#unit-kind').selectOption('video');
  await page.locator('#unit-title').fill('Lecture by phone');
  await page.locator('form.add-unit button[type="submit"]').click();
  const unit = page.locator('li.unit', { hasText: 'Lecture by phone' });
  await unit.waitFor();
  await ctx.expectNoHorizontalScroll();

  // Count upload creations, drop the connection on the third chunk, and lose the answer to
  // the last chunk (the server has every byte and made the asset; the page hears nothing).
  const size = fs.statSync(input.file).size;
  let creations = 0;
  let patches = 0;
  let lostLastAnswer = false;
  await page.route('**/api/v1/uploads**', async (route) => {
    const request = route.request();
    const method = request.method();
    if (method === 'POST') creations += 1;
    if (method === 'PATCH' && ++patches === 3) {
      await context.setOffline(true);
      await route.abort('internetdisconnected');
      return;
    }
    const offset = Number(request.headers()['upload-offset']);
    const bytes = request.postDataBuffer()?.length ?? 0;
    if (method === 'PATCH' && !lostLastAnswer && bytes > 0 && offset + bytes === size) {
      lostLastAnswer = true;
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await unit.locator('input.upload-input').setInputFiles(input.file);
  await ctx.expectVisible('li.unit .upload-status[data-state="waiting"]', { timeout: 20000 });
  await ctx.shot('connection-lost');

  // Back online, but the teacher reloads the page and picks the same file again.
  await context.setOffline(false);
  await page.reload();
  const again = page.locator('li.unit', { hasText: 'Lecture by phone' });
  await again.locator('input.upload-input').setInputFiles(input.file);
  await ctx.expectVisible('li.unit .upload-status[data-state="done"]', { timeout: 30000 });
  ctx.expect(creations === 1, `the upload was started ${creations} times instead of resumed`);
  ctx.expect(lostLastAnswer, 'the last chunk was never sent');
  await ctx.expectVisible('li.unit .asset[data-status="ready"]', { timeout: 150000 });
  await ctx.shot('processed');
  await ctx.expectAccessible();

  // The processed lecture's poster can stand for the course: chosen in the course's facts, it
  // shows on the course page.
  await page.reload();
  await page.locator('details.edit-course summary').click();
  await page.locator('#c-poster').selectOption({ label: 'Lecture by phone' });
  // Waits for the reload the saved form makes (waiting for 'load' could see the page before
  // it, and a later navigation would then race the reload).
  await ctx.submit(page.locator('form[data-method="PATCH"]').first());
  await page.locator('details.edit-course summary').click();
  const chosen = await page.locator('#c-poster option:checked').textContent();
  ctx.expect(chosen === 'Lecture by phone', `the chosen poster stuck: ${chosen}`);
  const courseLink = page.url().replace('/teach/courses/', '/courses/');
  await ctx.goto(new URL(courseLink).pathname);
  await ctx.expectVisible('img.poster');
  const loaded = await page.locator('img.poster').evaluate((img) => img.complete && img.naturalWidth);
  ctx.expect(loaded > 0 && loaded <= 640, `the course page shows the poster (${loaded} px wide)`);

  // Or an image of its own: uploaded in the course's facts, processed, and shown instead.
  await page.goBack();
  await page.locator('details.edit-course summary').click();
  await page.locator('input.poster-input').setInputFiles(input.poster_image);
  await page.waitForFunction(() => document.querySelector('.poster-upload')?.dataset.posterAsset, null, { timeout: 90000 })
    .catch(() => { throw new Error('the uploaded image did not become the course poster'); });
  await ctx.goto(new URL(courseLink).pathname);
  await ctx.expectVisible('img.poster');
  const square = await page.locator('img.poster').evaluate(async (img) => {
    await img.decode().catch(() => {});
    return [img.naturalWidth, img.naturalHeight];
  });
  // Square, where the lecture's poster is 16:9 (srcset picks the rung; sizes set the scale).
  ctx.expect(square[0] > 0 && square[0] === square[1], `the course page shows the uploaded square image: ${square}`);
  await ctx.shot('uploaded-poster');
}
