// A tagged template that escapes every interpolated value unless it is already SafeHtml, so
// tenant- and agent-supplied text (company name, context message) can never become markup.
import { escapeHtml } from '@uplink/kit';

export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` are escaped so the
 * text can never close the element, whatever strings it contains.
 */
export function jsonForScript(value: unknown): SafeHtml {
  return new SafeHtml(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}

/**
 * A message template with `{name}` placeholders, as HTML: the template's text is escaped and
 * each placeholder becomes its value (escaped too, unless it is SafeHtml markup).
 */
export function fillHtml(template: string, values: Record<string, Interpolation>): SafeHtml {
  const parts = template.split(/\{(\w+)\}/);
  return new SafeHtml(
    parts
      .map((part, i) => {
        if (i % 2 === 0) return escapeHtml(part);
        return Object.hasOwn(values, part) ? render(values[part]) : escapeHtml(`{${part}}`);
      })
      .join(''),
  );
}
