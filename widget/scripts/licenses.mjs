// Emits dist/shouyin.licenses.txt, the notices of the code bundled into shouyin.js. Today that is
// Shouyin's own code only (templates are rendered by src/template.ts, QR codes encoded by the Worker);
// a bundled third-party package adds its notice here. The bundle itself carries only a one-line
// pointer: every byte of it counts against the 12 KB budget.
export const LICENSES_FILE = 'shouyin.licenses.txt';

export function licensesPlugin() {
  return {
    name: 'shouyin:licenses',
    generateBundle(options) {
      if (options.format !== 'es') return;
      const parts = [['Shouyin checkout widget (shouyin.js, shouyin.iife.js): MIT, the Shouyin authors', '']];
      const source = `${parts.map(([name, body]) => `== ${name}\n\n${body}`.trim()).join('\n\n\n')}\n`;
      this.emitFile({ type: 'asset', fileName: LICENSES_FILE, source });
    },
  };
}
