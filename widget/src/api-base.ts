/**
 * Where the widget was loaded from: the default API base. Read once, at module evaluation, because
 * `document.currentScript` is only set while a classic script runs (the IIFE build) and
 * `import.meta.url` is the module's own URL (the ES build).
 */
function scriptOrigin(): string | undefined {
  try {
    const origin = new URL((document.currentScript as HTMLScriptElement | null)?.src || import.meta.url).origin;
    // data: and file: URLs have an opaque origin, "null".
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

const SCRIPT_ORIGIN = scriptOrigin();

export function defaultApiBase(): string {
  return SCRIPT_ORIGIN ?? location.origin;
}
