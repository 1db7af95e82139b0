// `npm run build:manifest`: custom-elements.json from the element's JSDoc (@summary, @event, @slot, @csspart,
// @cssproperty, @cssstate) and its Lit decorators. The manifest describes the published files, so module paths
// are rewritten from the sources (`src/element/x.ts`) to the build (`dist/element/x.js`).

/** `src/a/b.ts` -> `dist/a/b.js`; other values unchanged. */
const published = (path) =>
  typeof path === 'string' ? path.replace(/^(\.\/)?src\//, 'dist/').replace(/\.ts$/, '.js') : path;

/** Rewrites every `path` and `module` field of the manifest, however deep. */
function toPublishedPaths() {
  const visit = (value) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const [name, field] of Object.entries(value)) {
      if ((name === 'path' || name === 'module') && typeof field === 'string') value[name] = published(field);
      else visit(field);
    }
  };
  return {
    name: 'cos-transcoder-published-paths',
    packageLinkPhase({ customElementsManifest }) {
      visit(customElementsManifest.modules);
    },
  };
}

export default {
  globs: ['src/element/**/*.ts'],
  exclude: ['src/element/**/*.d.ts'],
  litelement: true,
  dependencies: false,
  // package.json names the manifest itself (`customElements`); the analyzer must not rewrite it on every build.
  packagejson: false,
  plugins: [toPublishedPaths()],
};
