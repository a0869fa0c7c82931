/** Choosing and opening the backend for the host. */
import type { CgroupBackend, CgroupBackendOptions } from './backend.js';
import { type CgroupLayout, type DetectOptions, detectCgroups } from './detect.js';
import { CgroupV1Backend } from './v1.js';
import { CgroupV2Backend } from './v2.js';

/** A backend for a detected layout. Call init() before use. */
export function createCgroupBackend(layout: CgroupLayout, options: CgroupBackendOptions = {}): CgroupBackend {
  return layout.version === 2 ? new CgroupV2Backend(layout, options) : new CgroupV1Backend(layout, options);
}

/** Detects the hierarchy, makes the backend and initializes it. */
export async function openCgroupBackend(
  options: CgroupBackendOptions & { readonly detect?: DetectOptions } = {},
): Promise<CgroupBackend> {
  const backend = createCgroupBackend(await detectCgroups(options.detect), options);
  await backend.init();
  return backend;
}
