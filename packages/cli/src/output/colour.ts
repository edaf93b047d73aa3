/**
 * ANSI colour, on only when it helps: stdout is a terminal, NO_COLOR is unset
 * and --no-color was not given (FORCE_COLOR forces it on, for screenshots).
 */

let enabled = detect(process.stdout)

function detect(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  const force = process.env.FORCE_COLOR
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true
  return stream.isTTY === true && process.env.TERM !== 'dumb'
}

/** Turns colour off (`--no-color`) or back to auto-detection. */
export function setColour(on: boolean | 'auto'): void {
  enabled = on === 'auto' ? detect(process.stdout) : on
}

export function colourEnabled(): boolean {
  return enabled
}

function style(open: number, close: number): (text: string) => string {
  return (text) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text)
}

export const c = {
  bold: style(1, 22),
  dim: style(2, 22),
  red: style(31, 39),
  green: style(32, 39),
  yellow: style(33, 39),
  blue: style(34, 39),
  magenta: style(35, 39),
  cyan: style(36, 39),
  grey: style(90, 39),
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

/** Visible width of a string that may contain colour codes. */
export function visibleWidth(text: string): number {
  return text.replace(ANSI, '').length
}
