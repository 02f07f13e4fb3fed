import { describe, expect, it } from 'vitest';
import { svgActiveContent } from './svg-content.ts';

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
const XLINK_NS = 'xmlns:xlink="http://www.w3.org/1999/xlink"';
const svg = (body: string, rootAttributes = '') =>
  `<svg ${SVG_NS} ${XLINK_NS}${rootAttributes}>${body}</svg>`;
const style = (css: string) => svg(`<style>${css}</style><rect class="a" width="1" height="1"/>`);

const REFERENCE = 'a reference to another document';
const CSS_REFERENCE = 'a reference to another document in CSS';

// Each case: what a hostile SVG does, the SVG, and what the refusal names.
const refused: [string, string, string][] = [
  // href/src on any element, in any namespace or prefix, spelled any way.
  ['an image from a tracker', svg('<image href="http://tracker.example/p.png"/>'), REFERENCE],
  ['xlink:href', svg('<image xlink:href="https://tracker.example/p.png"/>'), REFERENCE],
  [
    'the XLink namespace under another prefix',
    svg('<image xmlns:l="http://www.w3.org/1999/xlink" l:href="http://t.example/"/>'),
    REFERENCE,
  ],
  ['href in an unknown namespace', svg('<image xmlns:z="urn:z" z:href="http://t.example/"/>'), REFERENCE],
  ['use of an outside sprite', svg('<use href="http://t.example/sprite.svg#icon"/>'), REFERENCE],
  ['use of a relative file', svg('<use href="sprite.svg#icon"/>'), REFERENCE],
  [
    'a protocol-relative feImage',
    svg('<filter id="f"><feImage href="//t.example/x.png"/></filter>'),
    REFERENCE,
  ],
  ['a link away', svg('<a href="https://phishing.example/login"><text>Pay</text></a>'), REFERENCE],
  ['src on any element', svg('<g src="http://t.example/x"/>'), REFERENCE],
  ['uppercase names', svg('<IMAGE HREF="http://t.example/x.png"/>'), REFERENCE],
  ['a character reference in the scheme', svg('<image href="&#104;ttp://t.example/x.png"/>'), REFERENCE],
  ['a hex character reference', svg('<image href="&#x68;&#x74;tp://t.example/"/>'), REFERENCE],
  ['whitespace and newlines around', svg('<image href=" \n\t http://t.example/x.png"/>'), REFERENCE],
  ['a fragment behind whitespace inside', svg('<image href="http://t.example/#x"/>'), REFERENCE],
  [
    'an SVG in a data: URI',
    svg('<image href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+"/>'),
    'an embedded document',
  ],
  [
    'an HTML data: URI',
    svg('<image href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"/>'),
    'data:text/html',
  ],
  [
    'a data: URI of another type',
    svg('<use href="data:application/octet-stream,abc#x"/>'),
    'an embedded document',
  ],
  [
    'xml:base',
    svg('<g xml:base="http://t.example/"><use href="#x"/></g>'),
    'a reference to another document (xml:base)',
  ],
  [
    'an animated href',
    svg('<a href="#x"><set attributeName="href" to="http://t.example/"/></a>'),
    'an animation',
  ],
  [
    'an animated xlink:href',
    svg('<a xlink:href="#x"><animate attributeName="xlink:href" values="http://t.example/"/></a>'),
    'an animation',
  ],
  ['an animated event handler', svg('<set attributeName="onclick" to="alert(1)"/>'), 'an animation'],
  // CSS in <style>, in style attributes and in presentation attributes.
  ['@import url()', style('@import url(http://t.example/a.css);'), '@import'],
  ['@import of a string', style('@import "http://t.example/a.css";'), '@import'],
  ['@import escaped', style('@\\69mport "http://t.example/a.css";'), '@import'],
  ['url() in a rule', style('.a{fill:url(http://t.example/x)}'), CSS_REFERENCE],
  ['an escaped url(', style('.a{fill:\\75 rl(http://t.example/x)}'), CSS_REFERENCE],
  ['a long escape', style('.a{fill:\\000075rl(http://t.example/x)}'), CSS_REFERENCE],
  ['an uppercase URL(', style('.a{fill:URL( "http://t.example/x" )}'), CSS_REFERENCE],
  ['a comment inside', style('.a{fill:u/**/rl(http://t.example/x)}'), CSS_REFERENCE],
  ['newlines inside', style('.a{fill:url(\n  http://t.example/x\n)}'), CSS_REFERENCE],
  ['a character reference in <style>', style('.a{fill:&#117;rl(http://t.example/x)}'), CSS_REFERENCE],
  ['CSS in CDATA', svg('<style><![CDATA[.a{fill:url(http://t.example/x)}]]></style>'), CSS_REFERENCE],
  [
    'CSS split over text and CDATA',
    svg('<style>.a{fill:ur<![CDATA[l(http://t.example/x)}]]></style>'),
    CSS_REFERENCE,
  ],
  ['@font-face', style('@font-face{font-family:x;src:url(https://t.example/f.woff2)}'), CSS_REFERENCE],
  ['image-set()', style('.a{background:image-set("http://t.example/x.png" 1x)}'), 'image-set'],
  ['a style attribute', svg('<rect style="fill:url(http://t.example/x)"/>'), CSS_REFERENCE],
  ['a style attribute, escaped', svg('<rect style="fill:\\55 RL(\'http://t.example/x\')"/>'), CSS_REFERENCE],
  ['a fill', svg('<rect fill="url(http://t.example/g.svg#g)"/>'), CSS_REFERENCE],
  ['a filter', svg('<rect filter="url(https://t.example/f.svg#f)"/>'), CSS_REFERENCE],
  ['a mask', svg('<rect mask="url(//t.example/m.svg#m)"/>'), CSS_REFERENCE],
  ['a cursor', svg('<rect cursor="url(http://t.example/c.png), auto"/>'), CSS_REFERENCE],
  // Elements that run code, embed documents or send the browser elsewhere, in any namespace.
  [
    'an HTML meta refresh',
    svg(
      '<html:meta xmlns:html="http://www.w3.org/1999/xhtml" http-equiv="refresh" content="0;url=https://t.example/"/>',
    ),
    'a meta element',
  ],
  [
    'a meta in the SVG namespace',
    svg('<meta http-equiv="refresh" content="0;url=https://t.example/"/>'),
    'a meta',
  ],
  [
    'an HTML base',
    svg('<h:base xmlns:h="http://www.w3.org/1999/xhtml" href="http://t.example/"/>'),
    'a base',
  ],
  [
    'an HTML link',
    svg('<h:link xmlns:h="http://www.w3.org/1999/xhtml" rel="stylesheet" href="http://t/"/>'),
    'link',
  ],
  ['an HTML img', svg('<h:img xmlns:h="http://www.w3.org/1999/xhtml" alt=""/>'), 'an HTML element (img)'],
  [
    'an HTML style',
    svg('<h:style xmlns:h="http://www.w3.org/1999/xhtml">p{}</h:style>'),
    'an HTML element (style)',
  ],
  ['an iframe', svg('<iframe/>'), 'an embedded frame (iframe)'],
  ['an embed', svg('<embed/>'), 'an embedded frame (embed)'],
  ['an object', svg('<object/>'), 'an embedded frame (object)'],
  ['foreignObject', svg('<foreignObject><p>hi</p></foreignObject>'), 'embedded HTML'],
  [
    'a prefixed script',
    svg('<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>'),
    'a script',
  ],
  ['an uppercase script', svg('<SCRIPT>alert(1)</SCRIPT>'), 'a script'],
  ['a handler', svg('<handler type="application/ecmascript">alert(1)</handler>'), 'a script (handler)'],
  ['an event handler', svg('<rect/>', ' onload="alert(1)"'), 'an event handler'],
  ['a namespaced event handler', svg('<rect xmlns:e="urn:e" e:onclick="alert(1)"/>'), 'an event handler'],
  ['a ping', svg('<a href="#x" ping="http://t.example/"/>'), 'a reference to another document (ping)'],
  // Document-level: entities, processing instructions, outside DTDs, broken XML.
  [
    'an external entity (XXE)',
    `<!DOCTYPE svg [<!ENTITY x SYSTEM "http://t.example/x">]>${svg('<text>&x;</text>')}`,
    'entity declarations',
  ],
  [
    'an xml-stylesheet',
    `<?xml-stylesheet href="http://t.example/a.css"?>${svg('<rect/>')}`,
    'a stylesheet instruction',
  ],
  [
    'an XSLT stylesheet',
    `<?xml-stylesheet type="text/xsl" href="#x"?>${svg('<rect/>')}`,
    'a stylesheet instruction',
  ],
  ['another processing instruction', svg('<?php echo 1 ?><rect/>'), 'a processing instruction (php)'],
  [
    'an outside DTD',
    `<!DOCTYPE svg SYSTEM "http://t.example/x.dtd">${svg('<rect/>')}`,
    'an outside document type',
  ],
  ['an undefined entity', svg('<text>&x;</text>'), 'not well-formed'],
  ['markup after the root', `${svg('<rect/>')}<script>alert(1)</script>`, 'not well-formed'],
  ['an unclosed element', `<svg ${SVG_NS}><g><image href="#a"/></svg>`, 'not well-formed'],
];

const accepted: [string, string][] = [
  [
    'a logo with an XML declaration, a comment and the W3C doctype',
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!-- logo -->\n' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' +
      `<svg ${SVG_NS} width="10" height="10" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0a0"/></svg>\n`,
  ],
  [
    'plain shapes and text',
    svg('<circle cx="5" cy="5" r="4" stroke="black"/><text x="1" y="8">Only text</text>'),
  ],
  [
    'a gradient by url(#id), in attributes, style and <style>',
    svg(
      '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>' +
        '<style>.a { fill: url( "#g" ) } /* brand */</style>' +
        '<rect class="a" fill="url(#g)" style="stroke: URL(#g)" width="1" height="1"/>',
    ),
  ],
  [
    'fragment references by href and xlink:href',
    svg('<symbol id="i"><rect/></symbol><use href="#i"/><use xlink:href="#i"/>'),
  ],
  [
    'a filter and a clip path by fragment',
    svg('<filter id="f"/><clipPath id="c"/><rect filter="url(#f)" clip-path="url(#c)"/>'),
  ],
  ['a link within the image', svg('<a href="#top"><text id="top">Top</text></a>')],
  ['an embedded bitmap', svg('<image width="1" height="1" href="data:image/png;base64,iVBORw0KGgo="/>')],
  [
    'Inkscape metadata',
    svg(
      '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" pagecolor="#ffffff"/>' +
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">' +
        '<cc:Work rdf:about=""><dc:format>image/svg+xml</dc:format>' +
        '<dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/></cc:Work></rdf:RDF></metadata>' +
        '<g xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:label="Layer 1"><rect/></g>',
    ),
  ],
  ['a @namespace rule', style('@namespace svg url(http://www.w3.org/2000/svg); .a { fill: red }')],
  [
    'text that mentions url( and onload=',
    svg('<text>Use url(http://example.com) and onload= in your code</text>'),
  ],
];

describe('svgActiveContent', () => {
  it.each(refused)('refuses %s', (_what, text, reason) => {
    expect(svgActiveContent(text)).toContain(reason);
  });

  it.each(accepted)('accepts %s', (_what, text) => {
    expect(svgActiveContent(text)).toBeUndefined();
  });
});
