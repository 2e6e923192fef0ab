// The demo shop's catalogue. Prices live on the server: the browser posts a product id, never an amount.

export interface Product {
  id: string;
  name: string;
  name_en: string;
  blurb: string;
  /** Integer fen. */
  amount: number;
  glyph: string;
  tile: 'tea' | 'cake';
}

export const PRODUCTS: readonly Product[] = [
  {
    id: 'longjing',
    name: '明前西湖龙井 50g',
    name_en: 'West Lake Longjing green tea, 50 g',
    blurb: '清明前采摘，豆香清雅，一罐够泡二十五杯。',
    amount: 6800,
    glyph: '茶',
    tile: 'tea',
  },
  {
    id: 'mooncake',
    name: '广式月饼礼盒（4 枚）',
    name_en: 'Cantonese mooncake gift box, 4 pieces',
    blurb: '莲蓉蛋黄与五仁双拼，中秋送礼。',
    amount: 12800,
    glyph: '饼',
    tile: 'cake',
  },
];

export function productById(id: string | undefined): Product | undefined {
  return PRODUCTS.find((p) => p.id === id);
}

/** The session description: what the shopper sees in the widget and in the wallet. */
export function orderDescription(p: Product): string {
  return p.name;
}
