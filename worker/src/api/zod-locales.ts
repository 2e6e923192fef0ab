// Zod's locale index as bundled into the Worker: English only (the [alias] in wrangler.toml and
// demo/wrangler.toml points zod's `../locales/index.js` here). Zod registers English by itself, and
// Shouyin writes its own error messages, so the other locales (about 260 KB minified, kept by the
// bundler because zod re-exports them as a namespace) would only weigh on every cold start.
export { default as en } from 'zod/v4/locales/en.js';
