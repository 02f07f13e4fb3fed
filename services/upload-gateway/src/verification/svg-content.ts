// SVG is XML text that browsers run scripts in. Agents open received files in a browser, so an
// SVG is accepted only without anything active in it. The checks are deliberately coarse: they
// look at the raw text, not a parsed tree, so a harmless SVG that merely mentions `onload=` in
// its text is refused too. Refusing such an image is cheap; missing a script is not.

/** Whether the text's root element is `<svg` (optionally prefixed, `<svg:svg`), after an optional XML prolog. */
export function isSvgDocument(text: string): boolean {
  const root = rootElementStart(text);
  return root !== undefined && /^<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]/.test(text.slice(root, root + 64));
}

/** Where the root element starts: after the XML declaration, processing instructions, comments and doctype. */
function rootElementStart(text: string): number | undefined {
  let at = skipSpace(text, 0);
  for (;;) {
    let end: number;
    if (text.startsWith('<?', at)) end = after(text, '?>', at + 2);
    else if (text.startsWith('<!--', at)) end = after(text, '-->', at + 4);
    else if (text.startsWith('<!DOCTYPE', at)) end = doctypeEnd(text, at);
    else return at;
    if (end < 0) return undefined;
    at = skipSpace(text, end);
  }
}

function after(text: string, token: string, from: number): number {
  const found = text.indexOf(token, from);
  return found < 0 ? -1 : found + token.length;
}

/** The end of a doctype, stepping over an internal subset (`[...]`), whose markup may contain `>`. */
function doctypeEnd(text: string, from: number): number {
  const close = text.indexOf('>', from);
  const subset = text.indexOf('[', from);
  if (subset < 0 || (close >= 0 && close < subset)) return close < 0 ? -1 : close + 1;
  const subsetEnd = text.indexOf(']', subset);
  return subsetEnd < 0 ? -1 : after(text, '>', subsetEnd);
}

function skipSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && /\s/.test(text.charAt(at))) at++;
  return at;
}

/** Elements that run code or embed a document that can: `<script>`, `<foreignObject>` (HTML inside SVG), frames. */
const ACTIVE_ELEMENT = /<(?:[\w.-]+:)?(script|foreignObject|iframe|embed|object)[\s/>]/i;
/** An event handler attribute (`onload=`, `onclick =`, ...). Case-insensitive to stay on the safe side. */
const EVENT_HANDLER = /[\s"'/:]on[a-z]+\s*=/i;
/** URL schemes that run code or open an active document, looked for after undoing character references and whitespace. */
const ACTIVE_SCHEMES = ['javascript:', 'vbscript:', 'data:text/html', 'data:application/xhtml'];

/**
 * What in an SVG could run code when it is opened in a browser, described for the customer, or
 * undefined when nothing was found. Entity declarations are refused because their replacement
 * text can spell `<script` without it appearing in the file; `xml-stylesheet` because an XSLT
 * stylesheet can generate a script.
 */
export function svgActiveContent(text: string): string | undefined {
  if (/<!ENTITY/i.test(text) || hasInternalSubset(text)) return 'entity declarations';
  const element = ACTIVE_ELEMENT.exec(text)?.[1]?.toLowerCase();
  if (element === 'script') return 'a script';
  if (element === 'foreignobject') return 'embedded HTML (foreignObject)';
  if (element) return `an embedded frame (${element})`;
  if (/<\?xml-stylesheet/i.test(text)) return 'a stylesheet instruction';
  if (EVENT_HANDLER.test(text)) return 'an event handler attribute (such as onload)';
  // Browsers decode character references in attribute values and ignore whitespace and control
  // characters inside a URL's scheme: `&#106;ava&#x09;script:` is `javascript:`.
  const normalised = decodeCharacterReferences(text)
    .replace(/[\p{Cc}\s]/gu, '')
    .toLowerCase();
  const scheme = ACTIVE_SCHEMES.find((candidate) => normalised.includes(candidate));
  return scheme ? `a ${scheme} link` : undefined;
}

function hasInternalSubset(text: string): boolean {
  const doctype = text.indexOf('<!DOCTYPE');
  if (doctype < 0) return false;
  const close = text.indexOf('>', doctype);
  const subset = text.indexOf('[', doctype);
  return subset >= 0 && (close < 0 || subset < close);
}

function decodeCharacterReferences(text: string): string {
  return text.replace(/&#(x[0-9a-f]+|[0-9]+);?/gi, (reference, value: string) => {
    const code = value[0] === 'x' || value[0] === 'X' ? Number.parseInt(value.slice(1), 16) : Number(value);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : reference;
  });
}
