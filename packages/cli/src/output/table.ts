/**
 * Aligned plain-text tables. Colour codes are ignored when measuring, so a
 * coloured cell lines up with plain ones.
 */
import { c, visibleWidth } from './colour.js'

export interface Column {
  header: string
  /** Numbers read best right-aligned. Default 'left'. */
  align?: 'left' | 'right'
}

/** Renders rows under a dim header; columns are separated by two spaces. */
export function renderTable(columns: Column[], rows: string[][], indent = ''): string {
  const widths = columns.map((col, i) => Math.max(visibleWidth(col.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))))
  const line = (cells: string[], header: boolean): string =>
    indent +
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - visibleWidth(cell))
        const text = header ? c.dim(cell) : cell
        const isLast = i === cells.length - 1
        if (columns[i].align === 'right') return pad + text
        return isLast ? text : text + pad
      })
      .join('  ')
  return [line(columns.map((col) => col.header), true), ...rows.map((r) => line(r, false))].join('\n')
}

/** Renders `label  value` pairs with the labels padded to one width. */
export function renderFields(fields: [string, string][], indent = ''): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length))
  return fields.map(([label, value]) => `${indent}${c.dim(label.padEnd(width))}  ${value}`).join('\n')
}
