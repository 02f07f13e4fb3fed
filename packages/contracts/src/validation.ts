import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { EventSchemas, type UplinkEvent } from './events.ts';
import type { Subject } from './subjects.ts';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

type Validator = ReturnType<typeof Compile>;
const compiled = new WeakMap<TSchema, Validator>();

function validatorFor(schema: TSchema): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  return validator;
}

/** Checks a value against a schema; problems read like `/data/ticket/id: must match pattern`. */
export function validate<T>(schema: TSchema, value: unknown): ValidationResult<T> {
  const validator = validatorFor(schema);
  if (validator.Check(value)) return { ok: true, value: value as T };
  const problems = [...validator.Errors(value)]
    // Union branches each report their own miss; the union's summary line says it better.
    .filter((e) => !/\/anyOf\/\d+$/.test(e.schemaPath))
    .map((e) => `${e.instancePath || '/'}: ${e.message}`);
  return { ok: false, problems: [...new Set(problems)] };
}

export function isKnownSubject(subject: string): subject is Subject {
  return Object.hasOwn(EventSchemas, subject);
}

/** Validates an event against the schema of the subject it is (to be) published on. */
export function validateEvent(subject: string, value: unknown): ValidationResult<UplinkEvent> {
  if (!isKnownSubject(subject)) return { ok: false, problems: [`unknown subject ${subject}`] };
  return validate<UplinkEvent>(EventSchemas[subject], value);
}
