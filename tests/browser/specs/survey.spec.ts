// The satisfaction survey: Udesk's three styles (text, emoji, stars) with per-option remark rules,
// shown when the agent invites, when the session closes, or when the visitor asks; one submission
// that the simulator records.
import { test, expect, screenshot, type Relay, type Sim } from '../fixtures';

const styles = [
  { style: 'text', options: 5, required: 39 },
  { style: 'expression', options: 3, required: 40 },
  { style: 'star', options: 5, required: 39 },
] as const;

for (const { style, options, required } of styles) {
  test(`the ${style} survey style renders its options and enforces a required remark`, async ({ page, startSim, startRelay, widget }) => {
    // A simulator configured with this survey style, behind a real network hop.
    const sim: Sim = await startSim(['--survey-style', style, '--pickup-delay', '0', '--reply-delay', '0.1']);
    const relay: Relay = await startRelay({ sim });
    await sim.webhookTo(relay);

    await page.goto(relay.url);
    await widget.openAndWaitForRobot();
    const session = await widget.reachAgent(sim.api);
    await sim.api.inviteSurvey(session);

    const card = widget.messages.getByTestId('survey');
    await expect(card).toHaveAttribute('data-style', style);
    const choices = card.getByTestId('survey-option');
    await expect(choices).toHaveCount(options);
    // The style's default option (the best) is preselected.
    await expect(card.locator('[data-option-id="36"]')).toHaveAttribute('aria-checked', 'true');
    if (style === 'star') {
      await expect(card.locator('.star.on')).toHaveCount(5);
    }
    await screenshot(page, `40-survey-${style}`);

    // A poor rating needs a remark: submit waits until one is given (a tag counts).
    await card.locator(`[data-option-id="${required}"]`).click();
    const remark = card.getByTestId('survey-remark');
    await expect(remark).toHaveAttribute('aria-required', 'true');
    const submit = card.getByTestId('survey-submit');
    await expect(submit).toBeDisabled();
    await card.getByTestId('survey-tag').first().click();
    await expect(submit).toBeEnabled();
    await remark.fill('等了很久');
    await submit.click();
    await expect(card.getByTestId('survey-thanks')).toBeVisible();
    await screenshot(page, `41-survey-${style}-thanks`);

    const token = await widget.customerToken();
    await expect
      .poll(async () => (await sim.api.admin<any[]>('surveys')).filter((s) => s.customer_token === token))
      .toEqual([expect.objectContaining({ im_sub_session_id: session, option_id: required, remark: expect.stringContaining('等了很久') })]);
    expect((await sim.api.admin<any[]>('surveys'))[0].remark).toContain('Slow');
  });
}

test('closing the session offers the survey; an optional remark may stay empty', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  await relay.sim.close(session);

  const card = widget.messages.getByTestId('survey');
  await expect(card).toBeVisible();
  await expect(widget.messages.getByTestId('event').filter({ hasText: /结束|ended/ }).first()).toBeVisible();
  await expect(widget.headerStatus).toHaveText('The conversation has ended.');
  await card.locator('[data-option-id="37"]').click();
  await expect(card.getByTestId('survey-remark')).toHaveAttribute('aria-required', 'false');
  await card.getByTestId('survey-submit').click();
  await expect(card.getByTestId('survey-thanks')).toBeVisible();
  const token = await widget.customerToken();
  await expect
    .poll(async () => (await relay.sim.admin<any[]>('surveys')).filter((s) => s.customer_token === token))
    .toEqual([expect.objectContaining({ im_sub_session_id: session, option_id: 37 })]);

  // Writing again after the close starts a new conversation (with the robot).
  await widget.send('你好');
  await expect(widget.visitorMessages().last()).toHaveAttribute('data-state', 'sent');
  await expect(widget.messages.getByTestId('robot-answer').last()).toBeVisible();
});

test('the visitor can ask to rate the agent during the conversation', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  await page.getByTestId('rate-service').click();
  const card = widget.messages.getByTestId('survey');
  await expect(card).toHaveAttribute('data-session', String(session));
  await card.getByTestId('survey-submit').click();
  await expect(card.getByTestId('survey-thanks')).toBeVisible();
  const token = await widget.customerToken();
  await expect
    .poll(async () => (await relay.sim.admin<any[]>('surveys')).filter((s) => s.customer_token === token).length)
    .toBe(1);
});
