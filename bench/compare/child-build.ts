/**
 * Measuring children run plain JavaScript: starting each under a TypeScript
 * loader would cost ~0.4 s per child and put the loader's thread next to the
 * system being measured. The parent transpiles bench/compare once per run
 * into bench/.runs/compare (git-ignored); bare imports still resolve through
 * bench/node_modules, and `@wq/engine` to its built dist/.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url))
const OUT_DIR = join(SOURCE_DIR, '..', '.runs', 'compare')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Transpile every bench/compare source; returns the path of the child entry point. */
export function buildChild(): string {
  for (const file of sources(SOURCE_DIR)) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    })
    const out = join(OUT_DIR, relative(SOURCE_DIR, file)).replace(/\.ts$/, '.js')
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, outputText)
  }
  writeFileSync(join(OUT_DIR, 'package.json'), '{ "type": "module" }\n')
  return join(OUT_DIR, 'child.js')
}
