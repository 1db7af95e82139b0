import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('architecture', () => {
  it('should keep src/core free of lit, the element layer, the emulator and Node built-ins', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src', 'core'))) {
      for (const spec of importsOf(file)) {
        const resolved = spec.startsWith('.') ? relative(join(root, 'src'), resolve(file, '..', spec)) : spec;
        if (/^(lit|@lit\/)|^element\/|^emulator\/|^node:/.test(resolved)) offenders.push(`${relative(root, file)} -> ${spec}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it('should keep every source file under 400 lines', () => {
    const long = sourceFiles(join(root, 'src'))
      .map((file) => [relative(root, file), readFileSync(file, 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).to.deep.equal([]);
  });

  it('should name every export of src/core/index.ts explicitly (no export *)', () => {
    const text = readFileSync(join(root, 'src', 'core', 'index.ts'), 'utf8');
    expect(text).not.to.match(/export \*/);
  });

  it('should export from src/core/index.ts only what a page uses: at most 95 names, each once', () => {
    const text = readFileSync(join(root, 'src', 'core', 'index.ts'), 'utf8');
    const names = [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((match) =>
      match[1]!
        .split(',')
        .map((name) => name.replace(/^\s*type\s+/, '').split(/\s+as\s+/).pop()!.trim())
        .filter((name) => name !== ''),
    );
    // Declarations exported in place would escape the count: the index only re-exports, by name.
    expect(text).not.to.match(/^export\s+(?:const|let|function|class|interface|type\s+\w+\s*=)/m);
    expect(names.length, names.join(', ')).to.be.within(1, 95);
    expect(new Set(names).size).to.equal(names.length);
  });

  it('should keep schemas and parsers only the core uses out of src/core/index.ts', () => {
    const text = readFileSync(join(root, 'src', 'core', 'index.ts'), 'utf8');
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code.match(/\b\w+Schema\b|\bparse(?!JobCallback\b)\w+/g) ?? []).to.deep.equal([]);
  });
});
