// The widget's load and reply times (`npx playwright test -c bench.config.ts`, or `scripts/bench`):
// not a test, a measurement. One worker, so runs do not compete for the two cores.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 600_000,
});
