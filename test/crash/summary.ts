/**
 * Each suite's one summary line, printed so it shows in CI logs:
 *   [crash-suite] power cut: mode=sync cases=120 acknowledged=5400 lost=0 …
 */
export function printSummary(suite: string, fields: Record<string, string | number | boolean>): void {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${v}`)
  // process.stdout directly: vitest's console interception would attribute it to a test and may hide it.
  process.stdout.write(`[crash-suite] ${suite}: ${parts.join(' ')}\n`)
}
