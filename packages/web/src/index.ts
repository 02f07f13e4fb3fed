// What the services' server-rendered pages share: the auto-escaping HTML template and the
// esbuild-built, content-hashed browser assets. A package of its own, so services without
// pages never install esbuild.
export * from './assets.ts';
export * from './document.ts';
export * from './favicon.ts';
export * from './html.ts';
export * from './text.ts';
