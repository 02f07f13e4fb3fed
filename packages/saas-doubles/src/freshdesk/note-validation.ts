// Freshdesk's checks of a note's fields, with its error envelope's wording.
import { type FreshdeskFieldError, fieldErrors } from './freshdesk-errors.ts';
import type { RawNoteFields } from './note-body.ts';

/** Type and presence checks; multipart values arrive as strings, JSON values as themselves. */
export function validateNoteFields(fields: RawNoteFields, multipart: boolean): FreshdeskFieldError[] {
  const errors: FreshdeskFieldError[] = [];
  if (fields.body === undefined) errors.push(fieldErrors.missing('body'));
  else if (typeof fields.body !== 'string')
    errors.push(fieldErrors.type('body', typeName(fields.body), 'String'));
  else if (fields.body.trim() === '') errors.push(fieldErrors.blank('body'));
  for (const key of ['private', 'incoming'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    const ok = multipart ? value === 'true' || value === 'false' : typeof value === 'boolean';
    if (!ok) errors.push(fieldErrors.type(key, typeName(value), 'Boolean'));
  }
  if (fields.user_id !== undefined) {
    const value = fields.user_id;
    const ok = multipart
      ? typeof value === 'string' && /^[1-9]\d*$/.test(value)
      : typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
    if (!ok) errors.push(fieldErrors.type('user_id', typeName(value), 'Positive Integer'));
  }
  if (fields.notify_emails !== undefined) {
    const value = fields.notify_emails;
    if (!Array.isArray(value)) errors.push(fieldErrors.type('notify_emails', typeName(value), 'Array'));
    else if (!value.every((email) => typeof email === 'string' && /^[^@\s]+@[^@\s]+$/.test(email))) {
      errors.push({
        field: 'notify_emails',
        message: "It should contain elements that are in the 'valid email address' format",
        code: 'invalid_value',
      });
    }
  }
  return errors;
}

function typeName(value: unknown): string {
  if (value === null) return 'Null';
  if (Array.isArray(value)) return 'Array';
  switch (typeof value) {
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
    case 'number':
      return Number.isInteger(value) ? 'Integer' : 'Float';
    default:
      return 'Hash';
  }
}
