// The published declarations (widget/types/shouyin.d.ts) describe what the element really does: every
// event, every detail field and every attribute property of the source appear in them, and nothing more.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dts = readFileSync(new URL('./shouyin.d.ts', import.meta.url), 'utf8');
const events = readFileSync(new URL('../src/events.ts', import.meta.url), 'utf8');
const element = readFileSync(new URL('../src/shouyin-checkout.ts', import.meta.url), 'utf8');

/** `interface Name { a: …; b?: … }` → field names, from either file. */
function fields(src: string, name: string): string[] {
  const body = new RegExp(`interface ${name}(?: extends [^{]+)? \\{([^}]*)\\}`).exec(src)?.[1] ?? '';
  return [...body.matchAll(/^\s*'?([\w-]+)'?\??:/gm)].map((m) => m[1]!).sort();
}

describe('shouyin.d.ts', () => {
  it('declares every event with the same detail fields as the source', () => {
    const names = fields(events, 'ShouyinEventMap');
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect(fields(dts, 'ShouyinEventMap')).toEqual(names);
    for (const detail of [
      'ShouyinReadyDetail',
      'ShouyinAttemptDetail',
      'ShouyinPaidDetail',
      'ShouyinExpiredDetail',
      'ShouyinEndedDetail',
      'ShouyinStatusDetail',
      'ShouyinErrorDetail',
    ]) {
      expect(fields(dts, detail), detail).toEqual(fields(events, detail));
    }
  });

  it('declares a property for every attribute the element observes', () => {
    const attrs = /\{\s*'client-secret': 'clientSecret'[^}]*\}/.exec(element)?.[0] ?? '';
    const props = [...attrs.matchAll(/: '(\w+)'/g)].map((m) => m[1]!);
    expect(props).toEqual(['clientSecret', 'apiBase', 'locale', 'channels']);
    for (const p of props) expect(dts).toMatch(new RegExp(`^  ${p}: string \\| null \\| undefined;`, 'm'));
  });
});
