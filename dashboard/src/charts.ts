// Plain SVG charts (no chart library: the whole dashboard fits its gzip budget). Each chart is an image
// with a text summary for screen readers; the numbers themselves are in a table beside it.

import { svg, type SVGTemplateResult, type TemplateResult, html } from 'lit';

export interface Series {
  label: string;
  /** A CSS class that sets the bar colour (styles.css). */
  cls: string;
  values: number[];
}

/** Stacked daily bars: one column per label, one segment per series. */
export function stackedBars(labels: string[], series: Series[], title: string, summary: string): TemplateResult {
  const W = 640;
  const H = 180;
  const pad = { l: 8, r: 8, t: 8, b: 22 };
  const totals = labels.map((_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slot = (W - pad.l - pad.r) / Math.max(1, labels.length);
  const bar = Math.max(2, slot * 0.7);
  const scale = (H - pad.t - pad.b) / max;
  const bars: SVGTemplateResult[] = [];
  labels.forEach((_, i) => {
    let y = H - pad.b;
    const x = pad.l + i * slot + (slot - bar) / 2;
    for (const s of series) {
      const h = (s.values[i] ?? 0) * scale;
      if (h <= 0) continue;
      y -= h;
      bars.push(svg`<rect class=${s.cls} x=${x.toFixed(1)} y=${y.toFixed(1)} width=${bar.toFixed(1)} height=${h.toFixed(1)}></rect>`);
    }
  });
  const ticks = labels
    .map((l, i) => ({ l, i }))
    // Every 7th day and the last, without two labels on top of each other.
    .filter(({ i }) => i === labels.length - 1 || (i % 7 === 0 && labels.length - 1 - i >= 4))
    .map(({ l, i }) => svg`<text class="tick" x=${(pad.l + i * slot + slot / 2).toFixed(1)} y=${H - 6} text-anchor="middle">${l.slice(5)}</text>`);
  return html`<figure class="chart">
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${`${title}: ${summary}`} preserveAspectRatio="none">
      <line class="axis" x1=${pad.l} x2=${W - pad.r} y1=${H - pad.b} y2=${H - pad.b}></line>
      ${bars}${ticks}
    </svg>
    <figcaption>
      ${title} — ${summary}
      <span class="legend">${series.map((s) => html`<span><i class="swatch ${s.cls}" aria-hidden="true"></i>${s.label}</span>`)}</span>
    </figcaption>
  </figure>`;
}

/** A horizontal meter (0–1) for a rate, with its text beside it. */
export function meter(fraction: number | null, text: string): TemplateResult {
  const w = fraction === null ? 0 : Math.max(0, Math.min(1, fraction)) * 100;
  return html`<span class="meter"><svg viewBox="0 0 100 8" aria-hidden="true" preserveAspectRatio="none"
      ><rect class="meter-bg" width="100" height="8"></rect><rect class="meter-fg" width=${w.toFixed(1)} height="8"></rect></svg
    ><span>${text}</span></span>`;
}
