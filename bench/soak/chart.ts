/**
 * The soak's curves: one panel per measure against jobs done, the sequential phase and the
 * concurrent one in two colours. Drawn as SVG by hand and converted to PNG with rsvg-convert
 * (librsvg2-bin); without it only the SVG is written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';

export interface Sample {
  readonly phase: 'sequential' | 'concurrent';
  /** Jobs ended so far, both phases together. */
  readonly done: number;
  readonly seconds: number;
  readonly fds: number;
  readonly rssKiB: number;
  readonly cgroups: number;
  readonly mounts: number;
  readonly children: number;
  readonly storeBytes: number;
}

export interface SoakResults {
  readonly jobs: number;
  readonly concurrency: number;
  readonly failures: number;
  readonly lostOutput: number;
  readonly samples: readonly Sample[];
}

const PANELS: { key: keyof Sample; title: string; scale?: number; unit?: string }[] = [
  { key: 'fds', title: 'server open fds' },
  { key: 'rssKiB', title: 'server RSS', scale: 1 / 1024, unit: 'MiB' },
  { key: 'cgroups', title: 'job cgroups' },
  { key: 'children', title: 'server child processes (shims; not the spawner)' },
  { key: 'mounts', title: 'mounts (host)' },
  { key: 'storeBytes', title: 'data directory on disk', scale: 1 / 1024 ** 2, unit: 'MiB' },
];
const COLORS = { sequential: '#1f77b4', concurrent: '#d62728' } as const;
const W = 1200;
const PANEL_W = 380;
const PANEL_H = 260;

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(results: SoakResults, index: number): string {
  const { key, title, scale = 1, unit = '' } = PANELS[index]!;
  const left = 20 + (index % 3) * (PANEL_W + 10) + 50;
  const top = 60 + Math.floor(index / 3) * (PANEL_H + 20);
  const plotW = PANEL_W - 70;
  const plotH = PANEL_H - 70;
  const points = results.samples.map((s) => ({ phase: s.phase, x: s.done, y: Number(s[key]) * scale }));
  const maxX = Math.max(1, ...points.map((p) => p.x));
  const maxY = Math.max(1, ...points.map((p) => p.y)) * 1.1;
  const x = (v: number) => left + (v / maxX) * plotW;
  const y = (v: number) => top + 30 + plotH - (v / maxY) * plotH;
  const parts = [
    `<text x="${left}" y="${top + 16}" font-size="15" font-weight="bold">${esc(title)}${unit ? ` (${unit})` : ''}</text>`,
    `<rect x="${left}" y="${top + 30}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    parts.push(
      `<line x1="${left}" y1="${y(v)}" x2="${left + plotW}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v >= 100 ? v.toFixed(0) : v.toPrecision(3)}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((maxX / 4) * i);
    parts.push(
      `<text x="${x(v)}" y="${top + 30 + plotH + 16}" font-size="11" text-anchor="middle">${v}</text>`,
    );
  }
  for (const phase of ['sequential', 'concurrent'] as const) {
    const line = points
      .filter((p) => p.phase === phase)
      .map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`)
      .join(' ');
    if (line !== '') {
      parts.push(`<polyline points="${line}" fill="none" stroke="${COLORS[phase]}" stroke-width="2"/>`);
    }
  }
  return parts.join('\n');
}

export function renderSoakSvg(results: SoakResults): string {
  const height = 60 + 2 * (PANEL_H + 20) + 30;
  const last = results.samples.at(-1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="30" font-size="20" font-weight="bold">Soak: ${results.jobs} jobs one after another (blue), then ${results.jobs} jobs ${results.concurrency} at a time (red)</text>`,
    `<text x="20" y="50" font-size="13">x axis: jobs ended; ${results.failures} failed (${results.lostOutput} lost their output); ${last ? `${last.seconds.toFixed(0)} s in all` : ''}</text>`,
    ...PANELS.map((_, i) => panel(results, i)),
    '</svg>',
  ].join('\n');
}

/** Writes `<base>.svg` and, when rsvg-convert is there, `<base>.png` (copied to `<latest>.png`). */
export async function writeSoakChart(results: SoakResults, base: string, latest: string): Promise<string> {
  await writeFile(`${base}.svg`, renderSoakSvg(results));
  if (!existsSync('/usr/bin/rsvg-convert')) return `${base}.svg (install librsvg2-bin for the PNG)`;
  execFileSync('/usr/bin/rsvg-convert', ['-o', `${base}.png`, `${base}.svg`]);
  await copyFile(`${base}.png`, `${latest}.png`);
  return `${base}.png`;
}
