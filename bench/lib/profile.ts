/** The top of a V8 CPU profile (node --cpu-prof): self time per function, and per package/area. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly wallMs: number;
  readonly sampledMs: number;
  /** Self time by function, highest first (idle and GC included as V8 names them). */
  readonly topFunctions: {
    readonly name: string;
    readonly where: string;
    readonly ms: number;
    readonly pct: number;
  }[];
  /** Self time by area: node internals, grpc-js, pino, better-sqlite3, workernator, (idle), (gc)... */
  readonly byArea: { readonly area: string; readonly ms: number; readonly pct: number }[];
}

function area(url: string, name: string): string {
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)') return name;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1] ?? 'node_modules';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/')) return 'workernator';
  return url === '' ? '(native / V8)' : 'other';
}

export async function summarizeProfile(dir: string, top: number): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
  const file = files[0];
  if (file === undefined) return undefined;
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const perFunction = new Map<string, { name: string; where: string; us: number }>();
  const perArea = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const where = url === '' ? '' : `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${name} ${where}`;
    const entry = perFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
    const a = area(url, name);
    perArea.set(a, (perArea.get(a) ?? 0) + us);
    total += us;
  }
  const pct = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    file,
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    sampledMs: Math.round(total / 1000),
    topFunctions: [...perFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: Math.round(f.us / 1000), pct: pct(f.us) })),
    byArea: [...perArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ area: name, ms: Math.round(us / 1000), pct: pct(us) })),
  };
}
