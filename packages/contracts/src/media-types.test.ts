import { describe, expect, it } from 'vitest';
import { defaultMediaPolicy } from './media.ts';
import { DEFAULT_MAX_BYTES, submissionByteLimit } from './media-types.ts';

const MB = 1024 * 1024;

describe('submissionByteLimit', () => {
  it("is the tenant's own limit when it set one", () => {
    expect(submissionByteLimit({ ...defaultMediaPolicy(), maxSubmissionBytes: 7 * MB })).toBe(7 * MB);
  });

  it('sums the limits of the allowed categories, capped at 100 MB, when the tenant set none', () => {
    const policy = defaultMediaPolicy();
    // Five categories of 20 MB: exactly the cap.
    expect(submissionByteLimit(policy)).toBe(100 * MB);
    policy.categories.video = { allowed: true, maxBytes: 200 * MB };
    expect(submissionByteLimit(policy)).toBe(100 * MB);
    policy.categories.video.allowed = false;
    policy.categories.archive.allowed = false;
    expect(submissionByteLimit(policy)).toBe(3 * DEFAULT_MAX_BYTES);
  });
});
