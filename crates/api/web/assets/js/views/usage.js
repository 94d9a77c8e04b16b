// Usage against the quota (/api/user/limits) as two bars, and the breakdown by file type
// (/api/files/stats) as an SVG donut with a legend. Drawn by this small module, no library.

import { h, replace, svg } from '../dom.js';
import { bytes } from '../format.js';

const COLOURS = ['#2563eb', '#16a34a', '#f59e0b', '#db2777', '#7c3aed', '#0891b2', '#dc2626', '#64748b'];
const MAX_SLICES = 7; // the rest is grouped as "other"

function bar(id, label, used, max, text) {
  const ratio = max > 0 ? Math.min(1, used / max) : (used > 0 ? 1 : 0);
  const fill = h('div', { class: 'bar-fill' });
  fill.style.width = `${(ratio * 100).toFixed(1)}%`;
  const level = ratio >= 0.95 ? 'full' : ratio >= 0.8 ? 'high' : 'ok';
  return h('div', { class: `usage-item ${level}` },
    h('div', { class: 'usage-line' }, h('span', { id }, label), h('span', { class: 'usage-text' }, text)),
    h('div', {
      class: 'bar', role: 'meter', 'aria-labelledby': id, 'aria-valuemin': 0,
      'aria-valuemax': max, 'aria-valuenow': Math.min(used, max), 'aria-valuetext': text,
    }, fill));
}

export function renderUsage(el, limits) {
  const storageText = `${bytes(limits.current_storage)} of ${bytes(limits.max_storage)}`;
  const filesText = `${limits.current_files} of ${limits.max_files} files`;
  replace(el,
    bar('usage-storage', 'Storage', limits.current_storage, limits.max_storage, storageText),
    bar('usage-files', 'Files', limits.current_files, limits.max_files, filesText),
    h('p', { class: 'hint' }, `${bytes(Math.max(0, limits.remaining_storage))} free, room for `
      + `${Math.max(0, limits.remaining_files)} more file${limits.remaining_files === 1 ? '' : 's'}.`));
}

/** Slices sorted as the server sends them (largest first), the tail grouped as "other". */
function slices(types) {
  if (types.length <= MAX_SLICES + 1) return types;
  const head = types.slice(0, MAX_SLICES);
  const tail = types.slice(MAX_SLICES);
  return [...head, {
    extension: `${tail.length} other types`,
    count: tail.reduce((n, t) => n + t.count, 0),
    total_size: tail.reduce((n, t) => n + t.total_size, 0),
    other: true,
  }];
}

export function renderChart(el, stats) {
  if (stats.file_types.length === 0) {
    replace(el, h('p', { class: 'empty' }, 'Nothing stored yet.'));
    return;
  }
  const parts = slices(stats.file_types);
  const total = parts.reduce((n, t) => n + t.total_size, 0);
  // A circle of circumference 100: each slice is a dash of its percentage.
  const r = 15.915494;
  const chart = svg('svg', { viewBox: '0 0 42 42', class: 'donut', role: 'img', 'aria-labelledby': 'donut-title' },
    svg('title', { id: 'donut-title' }, `Storage by file type: ${parts.length} types, ${bytes(stats.total_storage)}`),
    svg('circle', { cx: 21, cy: 21, r, fill: 'none', stroke: '#e5e7eb', 'stroke-width': 6 }));
  let offset = 25; // start at 12 o'clock
  parts.forEach((t, i) => {
    // Empty files still get a sliver, so every type is visible.
    const pct = total > 0 ? (t.total_size / total) * 100 : 100 / parts.length;
    const shown = Math.max(pct, 0.5);
    chart.append(svg('circle', {
      cx: 21, cy: 21, r, fill: 'none', stroke: COLOURS[i % COLOURS.length], 'stroke-width': 6,
      'stroke-dasharray': `${shown} ${100 - shown}`, 'stroke-dashoffset': offset,
      class: 'slice', dataset: { extension: t.extension },
    }));
    offset -= pct;
  });
  chart.append(
    svg('text', { x: 21, y: 20.5, class: 'donut-number', 'text-anchor': 'middle' }, String(stats.file_count)),
    svg('text', { x: 21, y: 25.5, class: 'donut-label', 'text-anchor': 'middle' }, stats.file_count === 1 ? 'file' : 'files'));

  const legend = h('table', { class: 'legend' },
    h('caption', { class: 'visually-hidden' }, 'Files by type'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col', class: 'num' }, 'Files'), h('th', { scope: 'col', class: 'num' }, 'Size'))),
    h('tbody', {}, parts.map((t, i) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = COLOURS[i % COLOURS.length];
      const label = t.other ? t.extension : t.extension === 'no_extension' ? 'no extension' : `.${t.extension}`;
      return h('tr', { dataset: { extension: t.extension } },
        h('td', {}, swatch, h('span', { class: 'ext' }, label)),
        h('td', { class: 'num count' }, String(t.count)),
        h('td', { class: 'num' }, bytes(t.total_size)));
    })));
  replace(el, h('div', { class: 'chart' }, chart, legend));
}
