// Engine snapshot fuzz, one process per run of cases so that a case which
// crashes the process (out of memory) or hangs is caught and named instead of
// taking the test runner down. Reads the template written by the parent,
// runs cases [start, count) and prints per case:
//   start <i> <case seed> <how>
//   end <i> opened|clean|unclean <message>
//
//   node --max-old-space-size=N engine-snapshot-child.mjs '<json: { templateDir, root, seed, start, count }>'
import { readFile, readdir } from 'node:fs/promises'
import { writeSync } from 'node:fs'
import { Rng } from '../../crash/prng.mjs'
import { mutate } from './mutate.mjs'

const args = JSON.parse(process.argv[2])
const { Engine } = await import(`${args.root}/packages/engine/dist/index.js`)
const { Wal } = await import(`${args.root}/packages/wal/dist/index.js`)
const { MemoryFs } = await import(`${args.root}/packages/wal/dist/testing/index.js`)

const WAL_DIR = '/data/default'
const silent = { info() {}, warn() {}, error() {}, debug() {} }
const say = (line) => writeSync(1, line.replace(/\n/g, ' ') + '\n')

const meta = JSON.parse(await readFile(`${args.templateDir}/meta.json`, 'utf8'))
const body = await readFile(`${args.templateDir}/body.bin`)
const segments = []
for (const name of (await readdir(`${args.templateDir}/segments`)).sort()) {
  segments.push([name, await readFile(`${args.templateDir}/segments/${name}`)])
}

async function image(snapshotBody) {
  const fs = new MemoryFs()
  await fs.mkdir(WAL_DIR)
  for (const [name, bytes] of segments) {
    const fh = await fs.open(`${WAL_DIR}/${name}`, 'truncate')
    await fh.write(bytes, 0, bytes.length, 0)
    await fh.sync()
    await fh.close()
  }
  await fs.fsyncDir(WAL_DIR)
  const wal = await Wal.open({ dir: WAL_DIR, fs })
  await wal.writeSnapshot(meta.lsn, snapshotBody)
  await wal.close()
  return fs
}

// Deliberate: one of our errors with a string code, or the snapshot decoder's own format error.
const isClean = (e) => (typeof e?.code === 'string' && e.code.length > 0) || e?.constructor?.name === 'SnapshotFormatError'

// The undamaged body must load, or every case would fail for the same dull reason
// (e.g. dist/ built from older sources than the template: run `pnpm build`).
{
  const engine = await Engine.open({ dir: '/data', durability: 'sync', logger: silent, snapshotEvery: false, wal: { fs: await image(body) } })
  await engine.close()
}

const rng = new Rng(args.seed)
for (let i = 0; i < args.start; i++) rng.u32()
for (let i = args.start; i < args.count; i++) {
  const caseSeed = rng.u32()
  const damaged = mutate(new Rng(caseSeed), body)
  say(`start ${i} ${caseSeed} ${damaged.how}`)
  const fs = await image(damaged.bytes)
  try {
    const engine = await Engine.open({ dir: '/data', durability: 'sync', logger: silent, snapshotEvery: false, closeTimeoutMs: 50, wal: { fs } })
    try {
      engine.stats()
      for (const name of meta.queues) engine.queue(name).jobs({ limit: 1000 })
    } finally {
      await engine.close().catch(() => undefined)
    }
    say(`end ${i} opened`)
  } catch (error) {
    say(`end ${i} ${isClean(error) ? 'clean' : 'unclean'} ${error?.name}: ${error?.message}`)
  }
}
