import { test, expect, screenshot } from '../fixtures';
test('explore', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  await page.getByTestId('close').click();
  await relay.sim.say(session, 'a reply while you look around');
  await expect(widget.badge).toHaveText('1');
  await widget.launcher.click();
  await expect(widget.badge).toBeHidden();
  console.log('after open', (await widget.saved()).unread);
  await page.getByTestId('close').click();
  console.log('after close', (await widget.saved()).unread);
  await page.waitForTimeout(1000);
  const s = await widget.saved();
  console.log('later', s.unread, s.entries.slice(-3).map((e: any) => e.key + ' ' + JSON.stringify(e.body).slice(0, 100)).join('\n'));
});
