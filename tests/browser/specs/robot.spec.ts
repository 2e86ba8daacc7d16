// The robot: answers from the knowledge base with suggested questions, a read-more link, and a
// one-time useful / not useful rating that the simulator records.
import { test, expect, screenshot } from '../fixtures';

test('the robot answers, a suggested question sends itself, and an answer is rated once', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await widget.send('怎么退货');

  // The first answer (the locator is re-evaluated: `first` keeps pointing at it).
  const answer = widget.messages.getByTestId('robot-answer').first();
  await expect(answer).toContainText('7 天内');
  // Rich answer HTML is rendered (a list), not shown as tags.
  await expect(answer.locator('li')).toHaveCount(3);
  const readMore = answer.getByTestId('third-url');
  await expect(readMore).toHaveAttribute('href', 'https://help.udesk-chat.local/zh/returns');
  await expect(readMore).toHaveAttribute('target', '_blank');
  await expect(readMore).toHaveAttribute('rel', /noopener/);
  const suggestions = answer.getByTestId('suggestion');
  await expect(suggestions).toHaveText(['退款多久到账？', '退货运费谁承担？', '如何取消订单？', '如何查询物流？']);
  await screenshot(page, '10-robot-answer');

  // Clicking a suggestion sends it as the visitor's message and gets its own answer.
  await suggestions.first().click();
  await expect(widget.visitorMessages().last()).toContainText('退款多久到账？');
  await expect(widget.visitorMessages().last()).toHaveAttribute('data-state', 'sent');
  await expect(widget.messages.getByTestId('robot-answer')).toHaveCount(2);
  await expect(widget.messages.getByTestId('robot-answer').last()).toContainText('1–3 个工作日');

  // Rate the first answer useful: the buttons give way to the choice, the simulator has it.
  await answer.getByTestId('rate-useful').click();
  await expect(answer.getByTestId('rating-done')).toHaveAttribute('data-useful', 'true');
  await expect(answer.getByTestId('rate-useful')).toHaveCount(0);
  await screenshot(page, '11-robot-rated');
  const token = await widget.customerToken();
  await expect
    .poll(async () => (await relay.sim.admin<any[]>('ratings')).filter((r) => r.customer_token === token))
    .toEqual([expect.objectContaining({ question_id: 101, useful: true })]);

  // The choice survives a reload, and cannot be given again.
  await page.reload();
  await widget.open();
  const restored = widget.messages.getByTestId('robot-answer').first();
  await expect(restored.getByTestId('rating-done')).toHaveAttribute('data-useful', 'true');
  await expect(restored.getByTestId('rate-not-useful')).toHaveCount(0);
});

test('small talk gets an answer that cannot be rated, and unknown questions the robot\'s fallback', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await widget.send('Hello');
  const hello = widget.messages.getByTestId('robot-answer').last();
  await expect(hello).toHaveAttribute('data-question-id', '0');
  await expect(hello.getByTestId('rating')).toHaveCount(0);

  await widget.send('Can your teapots brew coffee on the moon?');
  await expect(widget.messages.getByTestId('reply').last()).toContainText("don't know the answer");
});
