import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { integrity, versionedName } from './distribution.mjs';

describe('distribution', () => {
  it('names a copy by its content, so a changed file never reuses a cached URL', () => {
    expect(versionedName('shouyin.js', 'a')).toMatch(/^shouyin\.[0-9a-f]{8}\.js$/);
    expect(versionedName('shouyin.iife.js', 'a')).toMatch(/^shouyin\.iife\.[0-9a-f]{8}\.js$/);
    expect(versionedName('shouyin.js', 'a')).toBe(versionedName('shouyin.js', 'a'));
    expect(versionedName('shouyin.js', 'a')).not.toBe(versionedName('shouyin.js', 'b'));
  });

  it('gives the Subresource Integrity value browsers check (sha384, base64)', () => {
    expect(integrity('alert(1)')).toBe(`sha384-${createHash('sha384').update('alert(1)').digest('base64')}`);
    expect(integrity('')).toBe('sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb');
  });
});
