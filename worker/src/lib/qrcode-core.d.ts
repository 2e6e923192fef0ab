// The core encoder of the `qrcode` package (lib/core/qrcode.js), imported directly: the package's
// main entry adds renderers (and, under Node resolution, PNG and file output) that Shouyin never uses.
declare module 'qrcode/lib/core/qrcode' {
  interface QrSymbol {
    /** `size` × `size` modules, row by row; 1 = dark. */
    modules: { size: number; data: Uint8Array };
    version: number;
    maskPattern: number;
  }
  function create(text: string, options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): QrSymbol;
  const QRCode: { create: typeof create };
  export default QRCode;
}
