/**
 * What a malware scan found in one file. `too_large`: the scanner refused to read that much (clamd's
 * `StreamMaxLength`), so the file is unscanned and must not be accepted as if it were clean.
 */
export type ScanVerdict =
  | { outcome: 'clean' }
  | { outcome: 'infected'; signature: string }
  | { outcome: 'too_large' };

/**
 * The malware scanner port: upload-gateway streams each received file through it before the file
 * is accepted. A scanner that cannot answer throws ScannerUnavailableError, never a verdict.
 */
export interface MalwareScanner {
  /** Names the scanner in /readyz. */
  readonly kind: string;
  /** Scans the bytes as they arrive; the whole content is never held in memory. */
  scan(content: AsyncIterable<Uint8Array>): Promise<ScanVerdict>;
  /** Resolves when the scanner answers; throws ScannerUnavailableError saying why otherwise. */
  ping(): Promise<void>;
}

/** The scanner could not be reached or did not answer: worth retrying later, never a verdict. */
export class ScannerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScannerUnavailableError';
  }
}
