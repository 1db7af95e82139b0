const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i;
const FACTORS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A size as `max-file-size` takes it: `"500MB"`, `"1.5 GiB"`, `"1048576"` -> bytes; `undefined` when not a size. */
export function parseSize(value: string): number | undefined {
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * FACTORS[(match[2] ?? 'b').toLowerCase()]!;
  return Number.isFinite(bytes) && bytes > 0 ? Math.floor(bytes) : undefined;
}
