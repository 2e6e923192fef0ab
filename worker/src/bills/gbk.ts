// A GBK encoder for the sandbox and the tests, which must write statements the way Alipay and
// UnionPay do. TextEncoder only writes UTF-8, so the table is built once from workerd's own GBK
// decoder: every double-byte code (lead 0x81–0xFE, trail 0x40–0xFE except 0x7F) decoded in one pass,
// a line feed after each pair so an unmapped pair cannot shift the ones after it.
// Characters GBK cannot write become "?", as Java's String.getBytes("GBK") does.

let table: Map<number, number> | null = null;

function codes(): Map<number, number> {
  if (table) return table;
  const codesInOrder: number[] = [];
  const bytes: number[] = [];
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      codesInOrder.push((lead << 8) | trail);
      bytes.push(lead, trail, 0x0a);
    }
  }
  const decoded = new TextDecoder('gbk').decode(new Uint8Array(bytes)).split('\n');
  const map = new Map<number, number>();
  codesInOrder.forEach((code, i) => {
    const seg = decoded[i] ?? '';
    const cp = seg.codePointAt(0);
    // One character per pair, or the pair is unmapped (U+FFFD, possibly followed by its ASCII trail).
    if (cp === undefined || cp === 0xfffd || seg.length !== (cp > 0xffff ? 2 : 1)) return;
    if (!map.has(cp)) map.set(cp, code);
  });
  table = map;
  return map;
}

export function encodeGbk(text: string): Uint8Array {
  const out: number[] = [];
  const map = codes();
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      out.push(cp);
      continue;
    }
    const code = map.get(cp);
    if (code === undefined) out.push(0x3f);
    else out.push(code >> 8, code & 0xff);
  }
  return new Uint8Array(out);
}
