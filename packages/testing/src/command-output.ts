// Running a command-line entry point in the test's own process and reading what it printed.
import { vi } from 'vitest';

/**
 * Runs `command` with process.stdout and process.stderr captured (nothing reaches the terminal);
 * returns its exit code and what it wrote to each. Restores all mocks when the command returns.
 */
export async function captureCommand(
  command: () => Promise<number>,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((text) => out.push(String(text)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((text) => err.push(String(text)) > 0);
  const code = await command();
  vi.restoreAllMocks();
  return { code, out: out.join(''), err: err.join('') };
}
