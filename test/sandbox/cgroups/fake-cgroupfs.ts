/**
 * A fake cgroup v2 kernel over a tree of plain files in a temp dir, for unit tests of the v2
 * backend: mkdir creates the interface files (of the controllers the parent enables), rmdir removes
 * them and refuses a cgroup with processes or children (EBUSY), cgroup.subtree_control refuses to
 * enable controllers in a non-root cgroup with processes (EBUSY), cgroup.procs moves a PID,
 * cgroup.freeze sets "frozen" in cgroup.events, and cgroup.kill empties the cgroup (SIGKILLing its
 * PIDs, which tests only ever fill with their own children). Every write is logged.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type CgroupFs, nodeCgroupFs } from '../../../src/sandbox/cgroups/cgroupfs.js';

export interface FakeKernelOptions {
  /** Create cgroup.kill in new cgroups (Linux 5.14+). Default true. */
  readonly cgroupKill?: boolean;
  /** Create memory.swap.max (swap accounting). Default true. */
  readonly swap?: boolean;
  /** Controllers available at the top of the fake tree. */
  readonly controllers?: readonly string[];
}

function errnoError(code: string, path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: fake cgroupfs, ${path}`);
  err.code = code;
  return err;
}

export class FakeCgroupKernel implements CgroupFs {
  readonly writes: { path: string; value: string }[] = [];
  /** Makes the next write to a path ending in `suffix` fail with `code`. */
  failNext: { suffix: string; code: string } | undefined;
  readonly #options: FakeKernelOptions;

  constructor(
    readonly mount: string,
    options: FakeKernelOptions = {},
  ) {
    this.#options = options;
    mkdirSync(mount, { recursive: true });
    const controllers = options.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'];
    this.#populate(mount, controllers);
  }

  /** Makes a cgroup directly (as something outside the backend would), with the parent's controllers. */
  mkcg(path: string): void {
    mkdirSync(path);
    this.#populate(path, this.#enabledIn(dirname(path)));
  }

  setProcs(dir: string, pids: readonly number[]): void {
    writeFileSync(join(dir, 'cgroup.procs'), pids.map((p) => `${p}\n`).join(''));
    this.#setEvent(dir, 'populated', pids.length > 0 ? '1' : '0');
  }

  read(path: string): string {
    return readFileSync(path, 'utf8');
  }

  #enabledIn(dir: string): string[] {
    return readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).filter(Boolean);
  }

  #populate(dir: string, controllers: readonly string[]): void {
    const files: Record<string, string> = {
      'cgroup.controllers': `${controllers.join(' ')}\n`,
      'cgroup.subtree_control': '\n',
      'cgroup.procs': '',
      'cgroup.events': 'populated 0\nfrozen 0\n',
      'cgroup.freeze': '0\n',
      'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
    };
    if (this.#options.cgroupKill ?? true) files['cgroup.kill'] = '';
    if (controllers.includes('cpu')) files['cpu.max'] = 'max 100000\n';
    if (controllers.includes('memory')) {
      files['memory.max'] = 'max\n';
      files['memory.peak'] = '0\n';
      files['memory.events'] = 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n';
      if (this.#options.swap ?? true) files['memory.swap.max'] = 'max\n';
    }
    if (controllers.includes('io')) files['io.max'] = '';
    if (controllers.includes('pids')) files['pids.max'] = 'max\n';
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  }

  #setEvent(dir: string, key: string, value: string): void {
    const path = join(dir, 'cgroup.events');
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (l.startsWith(`${key} `) ? `${key} ${value}` : l));
    writeFileSync(path, `${lines.join('\n')}\n`);
  }

  #procs(dir: string): number[] {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  }

  #allCgroups(dir: string = this.mount): string[] {
    const subs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
    return [dir, ...subs.flatMap((e) => this.#allCgroups(join(dir, e.name)))];
  }

  readFile(path: string): Promise<string> {
    return nodeCgroupFs.readFile(path);
  }

  async writeFile(path: string, value: string): Promise<void> {
    this.writes.push({ path, value });
    if (this.failNext && path.endsWith(this.failNext.suffix)) {
      const { code } = this.failNext;
      this.failNext = undefined;
      throw errnoError(code, path);
    }
    const dir = dirname(path);
    switch (basename(path)) {
      case 'cgroup.subtree_control': {
        if (dir !== this.mount && this.#procs(dir).length > 0) throw errnoError('EBUSY', path);
        const enabled = new Set(this.#enabledIn(dir));
        for (const word of value.split(/\s+/).filter(Boolean)) {
          if (word.startsWith('-')) enabled.delete(word.slice(1));
          else enabled.add(word.replace(/^\+/, ''));
        }
        writeFileSync(path, `${[...enabled].join(' ')}\n`);
        return;
      }
      case 'cgroup.procs': {
        const pid = Number(value.trim());
        for (const cg of this.#allCgroups()) {
          const procs = this.#procs(cg);
          if (procs.includes(pid))
            this.setProcs(
              cg,
              procs.filter((p) => p !== pid),
            );
        }
        this.setProcs(dir, [...this.#procs(dir), pid]);
        return;
      }
      case 'cgroup.freeze':
        await nodeCgroupFs.writeFile(path, value);
        this.#setEvent(dir, 'frozen', value.trim() === '1' ? '1' : '0');
        return;
      case 'cgroup.kill':
        await nodeCgroupFs.writeFile(path, value);
        for (const pid of this.#procs(dir)) process.kill(pid, 'SIGKILL');
        this.setProcs(dir, []);
        return;
      default:
        await nodeCgroupFs.writeFile(path, value);
    }
  }

  async mkdir(path: string): Promise<void> {
    await nodeCgroupFs.mkdir(path);
    this.#populate(path, this.#enabledIn(dirname(path)));
  }

  async rmdir(path: string): Promise<void> {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw errnoError('ENOENT', path);
      throw err;
    }
    if (entries.some((e) => e.isDirectory()) || this.#procs(path).length > 0) throw errnoError('EBUSY', path);
    rmSync(path, { recursive: true });
    return Promise.resolve();
  }

  subdirs(path: string): Promise<string[]> {
    return nodeCgroupFs.subdirs(path);
  }

  exists(path: string): Promise<boolean> {
    return nodeCgroupFs.exists(path);
  }
}
