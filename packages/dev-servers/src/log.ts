// Everything goes to stderr so it never mixes with the stdout of the script that uses us.
export function log(message: string): void {
  process.stderr.write(`[dev-servers] ${message}\n`);
}
