// Runs before every test file (vitest.config.ts `setupFiles`).
import { closeFileHarnessesAfterAll } from './auto-close.ts';

closeFileHarnessesAfterAll();
