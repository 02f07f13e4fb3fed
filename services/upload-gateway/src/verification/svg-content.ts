import { type SaxesAttributeNS, SaxesParser, type SaxesTagNS } from 'saxes';

// SVG is XML text that browsers run scripts in, and that can make them fetch other documents or
// navigate away. Agents open received files in a browser, so an SVG is accepted only when it is
// self-contained and inert: no script, no event handler, nothing embedded that could run code,
// and no reference to anything outside the file itself.
//
// The file is parsed as the browser parses it (strict XML with namespaces, saxes), so character
// references, CDATA, prefixes and namespaces are what the browser sees, not what a pattern
// guesses; what the parser refuses is refused too (Chromium renders a broken SVG up to the
// error). Names are compared case-insensitively and in any namespace, and CSS is decoded (comments
// and escapes) before it is looked at, so spelling a reference differently does not hide it.
// Refusing a harmless image now and then is cheap; letting a tracker or a redirect through is not.

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

const XHTML_NAMESPACE = 'http://www.w3.org/1999/xhtml';
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

/**
 * Elements refused in any namespace: they run code (`script`, `handler`), embed a document that
 * can (`foreignObject` holds HTML; frames and objects), or send the browser elsewhere or change
 * where references point (`meta` refresh, `base`, `link`).
 */
const REFUSED_ELEMENTS: ReadonlyMap<string, string> = new Map([
  ['script', 'a script'],
  ['handler', 'a script (handler)'],
  ['listener', 'a script (listener)'],
  ['foreignobject', 'embedded HTML (foreignObject)'],
  ['iframe', 'an embedded frame (iframe)'],
  ['frame', 'an embedded frame (frame)'],
  ['frameset', 'an embedded frame (frameset)'],
  ['embed', 'an embedded frame (embed)'],
  ['object', 'an embedded frame (object)'],
  ['applet', 'an embedded frame (applet)'],
  ['portal', 'an embedded frame (portal)'],
  ['meta', 'a meta element (such as a refresh to another page)'],
  ['base', 'a base address (base)'],
  ['link', 'a link to an outside stylesheet or document (link)'],
]);

/** Attributes that point at another document whatever the element; `href` and `src` are checked apart. */
const REFUSED_ATTRIBUTES = new Set([
  'base', // xml:base moves where every reference in the element points
  'srcset',
  'ping',
  'action',
  'formaction',
  'background',
  'poster',
  'codebase',
  'archive',
  'manifest',
  'longdesc',
  'lowsrc',
  'dynsrc',
  'usemap',
  'http-equiv',
]);

const ANIMATION_ELEMENTS = new Set(['set', 'animate', 'animatemotion', 'animatetransform', 'animatecolor']);

/** A bitmap inside the file (`data:image/png;base64,...`): fetches nothing and runs nothing. */
const EMBEDDED_BITMAP = /^data:image\/(?:png|jpeg|jpg|gif|webp|avif|bmp)[;,]/i;

/** URL schemes that run code or open an active document, looked for after undoing character references and whitespace. */
const ACTIVE_SCHEMES = ['javascript:', 'vbscript:', 'data:text/html', 'data:application/xhtml'];

/** The only document types allowed: the W3C's own, which browsers know and never fetch. */
const DOCTYPE = /^\s*[\w.:-]+(?:\s+(?:PUBLIC\s+("[^"]*"|'[^']*')\s+|SYSTEM\s+)("[^"]*"|'[^']*'))?\s*$/;
const W3C_DTD = /^["']http:\/\/www\.w3\.org\/Graphics\/SVG\/[\w./-]*["']$/;

/**
 * What in an SVG could run code, load something from elsewhere or navigate away when it is
 * opened in a browser, described for the customer, or undefined when nothing was found. Entity
 * declarations are refused because their replacement text can spell markup that does not appear
 * in the file (and an external entity is a fetch).
 */
export function svgActiveContent(text: string): string | undefined {
  if (/<!ENTITY/i.test(text) || hasInternalSubset(text)) return 'entity declarations';
  // Browsers decode character references in attribute values and ignore whitespace and control
  // characters inside a URL's scheme: `&#106;ava&#x09;script:` is `javascript:`. Looked for in
  // the whole text, wherever the parse below would find it.
  const normalised = decodeCharacterReferences(text)
    .replace(/[\p{Cc}\s]/gu, '')
    .toLowerCase();
  const scheme = ACTIVE_SCHEMES.find((candidate) => normalised.includes(candidate));
  if (scheme) return `a ${scheme} link`;
  return parsedFinding(text);
}

/** The first finding of a strict XML parse, or undefined. */
function parsedFinding(text: string): string | undefined {
  const parser = new SaxesParser({ xmlns: true, position: false });
  let finding: string | undefined;
  const found = (what: string | undefined) => {
    finding ??= what;
  };
  /** The text of each open `<style>` element, checked as CSS once it closes. */
  const styles: string[] = [];
  const styleText = (chunk: string) => {
    if (styles.length > 0) styles[styles.length - 1] += chunk;
  };
  parser.on('doctype', (doctype) => found(doctypeFinding(doctype)));
  parser.on('processinginstruction', ({ target }) =>
    found(
      target.toLowerCase() === 'xml-stylesheet'
        ? 'a stylesheet instruction'
        : `a processing instruction (${target})`,
    ),
  );
  parser.on('opentag', (tag) => {
    found(elementFinding(tag));
    if (tag.local.toLowerCase() === 'style') styles.push('');
  });
  parser.on('text', styleText);
  parser.on('cdata', styleText);
  parser.on('closetag', (tag) => {
    if (tag.local.toLowerCase() === 'style') found(cssFinding(styles.pop() ?? ''));
  });
  try {
    parser.write(text).close();
  } catch {
    return 'markup that is not well-formed XML';
  }
  return finding;
}

function doctypeFinding(doctype: string): string | undefined {
  const match = DOCTYPE.exec(doctype);
  if (!match) return 'an unusual document type declaration';
  const systemId = match[2];
  return systemId === undefined || W3C_DTD.test(systemId) ? undefined : 'an outside document type (DTD)';
}

function elementFinding(tag: SaxesTagNS): string | undefined {
  const name = tag.local.toLowerCase();
  const refused = REFUSED_ELEMENTS.get(name);
  if (refused) return refused;
  // HTML is shown only inside foreignObject (refused), but some of it acts anyway, like a
  // meta refresh: nothing of it has a place in an image.
  if (tag.uri === XHTML_NAMESPACE) return `an HTML element (${tag.local})`;
  const attributes = Object.values(tag.attributes).filter((attribute) => !isNamespaceDeclaration(attribute));
  if (ANIMATION_ELEMENTS.has(name)) {
    const target = attributes.find((attribute) => attribute.local.toLowerCase() === 'attributename');
    const targetName = target?.value.trim().split(':').pop()?.toLowerCase() ?? '';
    if (targetName === 'href' || targetName === 'src' || targetName.startsWith('on')) {
      return `an animation that changes ${targetName}`;
    }
  }
  for (const attribute of attributes) {
    const finding = attributeFinding(tag.local, attribute);
    if (finding) return finding;
  }
  return undefined;
}

function isNamespaceDeclaration(attribute: SaxesAttributeNS): boolean {
  return attribute.uri === XMLNS_NAMESPACE || attribute.name === 'xmlns' || attribute.prefix === 'xmlns';
}

function attributeFinding(element: string, attribute: SaxesAttributeNS): string | undefined {
  const name = attribute.local.toLowerCase();
  if (name.startsWith('on')) return 'an event handler attribute (such as onload)';
  if (name === 'href' || name === 'src') return referenceFinding(element, attribute);
  if (REFUSED_ATTRIBUTES.has(name)) return `a reference to another document (${attribute.name})`;
  // Presentation attributes (fill, filter, mask, cursor...) and style take CSS values.
  return cssFinding(attribute.value);
}

/** `href`/`src`: only a fragment of this document (`#id`) or a bitmap inside the file. */
function referenceFinding(element: string, attribute: SaxesAttributeNS): string | undefined {
  // Browsers drop whitespace and control characters around and inside URLs.
  const url = attribute.value.replace(/[\p{Cc}\s]/gu, '');
  if (url === '' || url.startsWith('#') || EMBEDDED_BITMAP.test(url)) return undefined;
  if (url.toLowerCase().startsWith('data:'))
    return `an embedded document (${element} ${attribute.name}="data:...")`;
  return `a reference to another document (${element} ${attribute.name})`;
}

/**
 * CSS, from a `<style>` element or an attribute: no `@import`, and no `url()` other than a
 * fragment of this document (`url(#gradient)`). Comments and escapes are undone and whitespace
 * dropped first, so `u\72 l(`, `URL (` and a `url(` with a comment inside are all `url(`.
 */
function cssFinding(css: string): string | undefined {
  const normalised = normaliseCss(css);
  if (normalised.includes('@import')) return 'an outside stylesheet (@import)';
  const withoutNamespaces = normalised.replace(/@namespace[a-z0-9_-]*(?:url\([^)]*\)|"[^"]*"|'[^']*');/g, '');
  if (/url\((?!["']?#)/.test(withoutNamespaces)) return 'a reference to another document in CSS (url)';
  // Functions that take a URL as a plain string.
  const stringUrl = /(?:^|[^a-z0-9_-])(image-set|image|cross-fade|src)\(/.exec(withoutNamespaces);
  if (stringUrl) return `a reference to another document in CSS (${stringUrl[1]})`;
  return undefined;
}

function normaliseCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?(?:\*\/|$)/g, '')
    .replace(
      /\\(?:([0-9a-f]{1,6})[ \t\n\r\f]?|(\r\n|[\n\r\f])|([\s\S]))/gi,
      (_escape, hex, _newline, char) => {
        if (hex !== undefined) {
          const code = Number.parseInt(hex, 16);
          return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
        }
        return char ?? '';
      },
    )
    .replace(/[\p{Cc}\s]/gu, '')
    .toLowerCase();
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
