// The browser every e2e file drives: Chromium from global-setup.mjs (CHROMIUM_PATH), launched once per
// test file and closed after it, and screenshots into test-output/e2e/. Also the values global-setup
// provides (the demo's base URL, its secret key, the screenshot folder).

import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    secretKey: string;
    /** The operator's admin key (SHOUYIN_ADMIN_KEYS), for dashboard sign-in links. */
    adminKey: string;
    outDir: string;
    chromiumPath: string;
  }
}

export const baseUrl = inject('baseUrl');
export const secretKey = inject('secretKey');
export const adminKey = inject('adminKey');
export const outDir = inject('outDir');

/** The shop on a laptop, in Chinese. */
export const SHOP_CONTEXT: BrowserContextOptions = { locale: 'zh-CN', viewport: { width: 1120, height: 820 } };

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${outDir}/${name}`, fullPage: true });
}

export interface FileBrowser {
  /** A new page in the file's one context (made with `contextOptions` on first use). */
  newPage(): Promise<Page>;
  /** A context of its own (a phone, another user agent); the caller closes it. */
  newContext(options: BrowserContextOptions): Promise<BrowserContext>;
}

/** Registers beforeAll/afterAll hooks that launch Chromium for this test file and close it after. */
export function useBrowser(contextOptions: BrowserContextOptions = SHOP_CONTEXT): FileBrowser {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const launched = (): Browser => {
    if (!browser) throw new Error('the browser is launched in beforeAll; use it inside a test or a later hook');
    return browser;
  };
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });
  return {
    async newPage() {
      context ??= await launched().newContext(contextOptions);
      return context.newPage();
    },
    newContext: (options) => launched().newContext(options),
  };
}
