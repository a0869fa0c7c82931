/** The cgroup layer of the sandbox: detection, v1 and v2 backends, limits, usage, block devices. */
export type { CgroupBackend, CgroupBackendOptions, JobCgroup } from './backend.js';
export { DEFAULT_ROOT_NAME } from './backend.js';
export {
  type BlockDevice,
  type BlockDeviceOptions,
  blockDeviceOfPath,
  parseBlockDevice,
} from './block-device.js';
export { type CgroupFs, nodeCgroupFs } from './cgroupfs.js';
export {
  type CgroupLayout,
  type CgroupV1Layout,
  type CgroupV2Layout,
  type DetectOptions,
  detectCgroups,
} from './detect.js';
export {
  applyLimitPolicy,
  describeOomKill,
  formatLimit,
  formatMillicores,
  LIMIT_LABELS,
  LIMIT_MINIMA,
} from './limit-policy.js';
export {
  cgroupV1LimitWrites,
  cgroupV2LimitWrites,
  hasIoLimits,
  type LimitWrite,
  type V1LimitWrite,
} from './limits.js';
export { createCgroupBackend, openCgroupBackend } from './open.js';
export { CgroupV1Backend } from './v1.js';
export { CgroupV2Backend } from './v2.js';
