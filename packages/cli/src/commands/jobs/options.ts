/** Options shared by the `wq jobs` actions. */
export interface JobsOptions {
  pipeline?: string
  queue?: string
  state?: string
  tag?: string
  limit: string
  after?: string
  allDead?: boolean
  json?: boolean
}
