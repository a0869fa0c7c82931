/**
 * The chart: latency distributions as CDFs on a log time axis (start latency of ours and the peers;
 * follow latency), and streaming throughput as bars against the pipe floor. Drawn as SVG by hand,
 * converted to PNG by rsvg-convert (librsvg2-bin, installed with apt-get if missing) or ImageMagick.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { ensureDebianPackages } from '../scenarios/peers.js';
import { formatWindow } from '../lib/stats.js';
import type { BenchResults } from './results.js';

interface Series {
  readonly label: string;
  readonly samples: readonly number[];
  readonly color: string;
  readonly dashed?: boolean;
}

const W = 1200;
const PANEL_H = 360;
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#17becf',
  '#bcbd22',
  '#ff7f0e',
];

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function cdfPanel(title: string, series: readonly Series[], top: number, height: number): string {
  const left = 70;
  const right = 360;
  const plotW = W - left - right;
  const plotTop = top + 40;
  const plotH = height - 90;
  const all = series.flatMap((s) => s.samples).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = (v: number) =>
    left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const y = (q: number) => plotTop + plotH - q * plotH;
  const parts: string[] = [
    `<text x="${left}" y="${top + 24}" font-size="18" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi) break;
      parts.push(`<line x1="${x(v)}" y1="${plotTop}" x2="${x(v)}" y2="${plotTop + plotH}" stroke="#ddd"/>`);
      parts.push(
        `<text x="${x(v)}" y="${plotTop + plotH + 18}" font-size="12" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}</text>`,
      );
    }
  }
  for (const q of [0, 0.5, 0.99]) {
    parts.push(
      `<line x1="${left}" y1="${y(q)}" x2="${left + plotW}" y2="${y(q)}" stroke="${q === 0.5 || q === 0.99 ? '#bbb' : '#eee'}"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${y(q) + 4}" font-size="12" text-anchor="end">p${Math.round(q * 100)}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${plotTop + plotH + 38}" font-size="13" text-anchor="middle">milliseconds (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const sorted = [...s.samples].sort((a, b) => a - b);
    const points = sorted
      .map((v, k) => `${x(v).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${points}"/>`,
    );
    const ly = plotTop + 10 + i * 20;
    parts.push(
      `<line x1="${W - right + 20}" y1="${ly}" x2="${W - right + 50}" y2="${ly}" stroke="${s.color}" stroke-width="3"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    const p50 = sorted[Math.ceil(sorted.length / 2) - 1] ?? 0;
    parts.push(
      `<text x="${W - right + 56}" y="${ly + 4}" font-size="12">${esc(s.label)} (p50 ${p50.toFixed(2)})</text>`,
    );
  });
  return parts.join('\n');
}

function barsPanel(results: BenchResults, top: number, height: number): string {
  const left = 70;
  const plotW = W - left - 330;
  const plotTop = top + 40;
  const bars = [
    { label: 'plain pipe (floor)', value: results.streaming.floor.MiBps, color: '#7f7f7f' },
    ...results.streaming.levels.flatMap((l) => [
      {
        label: `${l.clients} client(s)${l.flowWindow === undefined ? '' : `, ${formatWindow(l.flowWindow)} window`}: each`,
        value: l.perClientMiBps.median,
        color: '#1f77b4',
      },
      { label: `${l.clients} client(s): together`, value: l.aggregateMiBps, color: '#2ca02c' },
    ]),
  ];
  const max = Math.max(...bars.map((b) => b.value));
  const rowH = Math.min(28, (height - 60) / bars.length);
  const parts = [
    `<text x="${left}" y="${top + 24}" font-size="18" font-weight="bold">Streaming: MiB/s from a job's output to Tail clients</text>`,
  ];
  bars.forEach((b, i) => {
    const yy = plotTop + i * rowH;
    const w = (b.value / max) * plotW * 0.75;
    parts.push(
      `<rect x="${left + 190}" y="${yy}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color}"/>`,
    );
    parts.push(
      `<text x="${left + 184}" y="${yy + rowH / 2}" font-size="12" text-anchor="end">${esc(b.label)}</text>`,
    );
    parts.push(`<text x="${left + 196 + w}" y="${yy + rowH / 2}" font-size="12">${b.value}</text>`);
  });
  return parts.join('\n');
}

export function renderSvg(results: BenchResults): string {
  const startSeries: Series[] = [];
  let c = 0;
  for (const peer of results.peers) {
    if (peer.samples !== undefined && peer.samples.length > 0)
      startSeries.push({
        label: peer.name.replace(' (no cgroups)', ''),
        samples: peer.samples,
        color: COLORS[c++ % COLORS.length]!,
        dashed: true,
      });
  }
  startSeries.push(
    {
      label: 'command: Start -> exec',
      samples: results.start.command.execSamples,
      color: COLORS[c++ % COLORS.length]!,
    },
    {
      label: 'command: Start -> COMPLETE',
      samples: results.start.command.completeSamples,
      color: COLORS[c++ % COLORS.length]!,
    },
    {
      label: 'noop: Start -> exec',
      samples: results.start.noop.execSamples,
      color: COLORS[c++ % COLORS.length]!,
    },
    {
      label: 'noop: Start -> COMPLETE',
      samples: results.start.noop.completeSamples,
      color: COLORS[c++ % COLORS.length]!,
    },
    {
      label: `Start under load (${results.throughput.clients} clients)`,
      samples: results.throughput.startSamples,
      color: COLORS[c % COLORS.length]!,
    },
  );
  const followSeries: Series[] = [
    { label: 'follow: job write -> client', samples: results.follow.samples, color: '#d62728' },
  ];
  const h1 = 440;
  const h2 = 260;
  const h3 = PANEL_H;
  const height = h1 + h2 + h3 + 40;
  const m = results.machine;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    cdfPanel(
      `Start latency, CDF (${results.plan.mode} run; dashed: Node spawning the peer)`,
      startSeries,
      0,
      h1,
    ),
    cdfPanel('Follow latency, CDF', followSeries, h1, h2),
    barsPanel(results, h1 + h2, h3),
    `<text x="20" y="${height - 14}" font-size="12" fill="#555">${esc(`${results.startedAt} · ${m.cpus} x ${m.cpuModel} · ${m.kernel} · ${m.virtualization} · load ${results.load.min}-${results.load.max}`)}</text>`,
    '</svg>',
  ].join('\n');
}

/** Writes the PNG; returns a note if it could only write the SVG. */
export async function writeChart(
  results: BenchResults,
  pngPath: string,
  svgPath: string,
): Promise<string | undefined> {
  await writeFile(svgPath, renderSvg(results));
  ensureDebianPackages({ '/usr/bin/rsvg-convert': 'librsvg2-bin' });
  try {
    if (existsSync('/usr/bin/rsvg-convert')) execFileSync('rsvg-convert', ['-o', pngPath, svgPath]);
    else execFileSync('convert', [svgPath, pngPath]);
    return undefined;
  } catch (error) {
    return `the PNG could not be made: ${(error as Error).message.split('\n')[0]}`;
  }
}
