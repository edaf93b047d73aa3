/**
 * Prints the hottest functions of V8 CPU profiles written by `--cpu-prof`:
 * self time (time in the function itself) and total time (with callees),
 * so "where does a wq child spend its time" is one command.
 *
 *   npx tsx bench/compare/profile-summary.ts .data/bench-compare/profiles/<file>.cpuprofile [--top=25]
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const where = url ? `${url.replace(/^file:\/\/.*?\/(packages|node_modules|bench)\//, '$1/')}:${lineNumber + 1}` : ''
  return `${functionName || '(anonymous)'} ${where}`.trim()
}

export function summarize(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let all = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    all += dt
    const node = byId.get(id)!
    self.set(label(node), (self.get(label(node)) ?? 0) + dt)
    // Count each function once per sample on the stack, so recursion does not inflate totals.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!)
      if (seen.has(l)) continue
      seen.add(l)
      total.set(l, (total.get(l) ?? 0) + dt)
    }
  })
  const pct = (v: number) => `${((v / all) * 100).toFixed(1).padStart(5)}%`
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
  return [
    `total ${(all / 1e6).toFixed(2)} s sampled`,
    'self    total   function',
    ...rows.map(([l, v]) => `${pct(v)} ${pct(total.get(l) ?? 0)}  ${l}`),
  ].join('\n')
}

const topArg = process.argv.find((a) => a.startsWith('--top='))
const top = topArg ? Number(topArg.slice(6)) : 25
for (const file of process.argv.slice(2).filter((a) => !a.startsWith('--'))) {
  console.log(`\n== ${basename(file)}`)
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, top))
}
