// Playwright: the widget in real headless Chromium (Debian's, never a downloaded one) against the
// real relay and simulator, which each test starts on free loopback ports (see fixtures.ts).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './specs',
  // Two workers share the machine's two cores with the relay processes the tests start.
  workers: Number(process.env.UDESK_BROWSER_WORKERS ?? 2),
  fullyParallel: true,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: '../../target/playwright',
  use: {
    headless: true,
    locale: 'en-US',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    trace: 'retain-on-failure',
  },
});
