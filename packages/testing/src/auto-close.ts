// Harnesses close themselves: no test closes one by hand, and one that fails half-way still
// leaves no server, connection or container behind for the next test or file.
import { afterAll, onTestFinished, type RunnerTestCase, TestRunner } from 'vitest';

type Close = () => Promise<void>;

/** What hooks and the file's top level opened, closed once the file's tests are done. */
const openForFile: Close[] = [];
/** What each test opened, closed when it finishes. */
const openForTest = new WeakMap<RunnerTestCase, Close[]>();

async function closeAll(opened: Close[]): Promise<void> {
  // Last opened, first closed: a harness goes before the servers it runs on.
  for (const close of opened.splice(0).reverse()) await close();
}

/**
 * Closes `close`'s resource when the test that opened it finishes, or after the test file when
 * a hook (beforeAll) or the file's top level opened it. Returns a close that runs once, for a
 * test that stops something on purpose before the end.
 */
export function closeWhenDone(close: Close): Close {
  let closing: Promise<void> | undefined;
  const once = () => {
    closing ??= close();
    return closing;
  };
  const test = TestRunner.getCurrentTest<RunnerTestCase | undefined>();
  if (!test) {
    openForFile.push(once);
    return once;
  }
  let opened = openForTest.get(test);
  if (!opened) {
    opened = [];
    openForTest.set(test, opened);
    const list = opened;
    onTestFinished(() => closeAll(list));
  }
  opened.push(once);
  return once;
}

/** For vitest's setupFiles: the file's harnesses close after its own afterAll hooks. */
export function closeFileHarnessesAfterAll(): void {
  afterAll(() => closeAll(openForFile));
}
