const BINARY_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** At most two decimals below 10, one from 10 on, without trailing zeros: 1.5, 9.77, 95.4, 1000. */
function roundForPeople(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
}

/**
 * Bytes in binary units as people read them: "64 MiB", "1.5 GiB", "95.4 MiB", "512 bytes", "1 byte".
 * The one spelling of sizes in every message of the server, the sandbox and the CLI.
 */
export function formatBytes(bytes: number): string {
  if (bytes === 1) return '1 byte';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  let text = roundForPeople(value);
  // 1048575 bytes is 1023.999 KiB, which rounds to "1024": say "1 MiB" instead.
  if (text === '1024' && unit > 0 && unit < BINARY_UNITS.length - 1) {
    text = '1';
    unit++;
  }
  return `${text} ${BINARY_UNITS[unit]}`;
}
