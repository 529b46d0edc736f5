// The room's screen: a session's attendance code as a QR code drawn by the server, with its six
// digits for a phone without a camera.
//
// input.screen   /teach/class-sessions/{session}/code

export default async function attendanceScreen(ctx) {
  const { page, input } = ctx;
  ctx.expect(input.screen, 'attendance-screen needs input.screen');
  await ctx.login();
  await ctx.goto(input.screen);
  await ctx.expectVisible('figure.attendance-qr svg');
  const digits = (await page.locator('.attendance-digits').textContent()).trim();
  ctx.expect(/^[0-9]{6}$/.test(digits), `six digits on the screen: ${digits}`);
  const url = await page.locator('figure.attendance-qr').getAttribute('data-url');
  ctx.expect(url.endsWith(`code=${digits}`), `the QR code holds the code: ${url}`);
  const refresh = await page.locator('figure.attendance-qr').getAttribute('data-refresh');
  ctx.expect(Number(refresh) >= 1 && Number(refresh) <= 30, `the screen reloads with the code: ${refresh}`);
  await ctx.expectAccessible();
  await ctx.shot('screen');
}
