import { test, expect, screenshot } from '../fixtures';
test('explore', async ({ page, relay, widget }) => {
  page.on('console', m => console.log('console:', m.type(), m.text()));
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  console.log('session', session, JSON.stringify((await widget.saved()).session).slice(0, 300));
  await relay.sim.close(session);
  await page.waitForTimeout(2000);
  const s = await widget.saved();
  console.log(JSON.stringify(s.session).slice(0, 300));
  console.log(s.entries.map((e: any) => e.key + ' ' + Object.keys(e.body)[0]).join('\n'));
  console.log(await widget.messages.evaluate(e => e.innerHTML.length), await widget.messages.getByTestId('survey').count());
  await screenshot(page, 'x-close2');
});
