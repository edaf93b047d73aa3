// What the kill -9 child's load looks like: shared by the child (which runs it)
// and the parent (whose invariant checker needs to know what each queue means).

/** Queue names, one per behaviour under test. */
export const Q = Object.freeze({
  /** FIFO with priorities; handlers fail sometimes and are retried, some die. */
  plain: 'plain',
  /** Jobs in a few groups; order within a group must hold across crashes. */
  grouped: 'grouped',
  /** Jobs with a small set of unique keys, processed slowly so duplicates meet pending jobs. */
  unique: 'unique',
  /** Jobs added with a delay. */
  delayed: 'delayed',
  /** Handlers return `{ next }`: completion and the next stage's add are one record. */
  stage1: 'stage1',
  stage2: 'stage2',
  /** No processor: jobs wait here until moved to `moved` with `job.moveTo`. */
  parking: 'parking',
  moved: 'moved',
})

export const GROUPS = Object.freeze(['g0', 'g1', 'g2', 'g3'])
export const UNIQUE_KEYS = Object.freeze(['k0', 'k1', 'k2', 'k3', 'k4', 'k5'])

/** Attempts for the plain queue (small: some jobs die). */
export const PLAIN_ATTEMPTS = 3
/** Attempts elsewhere: large, so crash-counted attempts never kill a job in the run's lifetime. */
export const MANY_ATTEMPTS = 10_000
/** `buffered` children flush every this many records: at most four times as many acknowledged records can be lost. */
export const BUFFER_RECORDS = 16

/** Kept completions: far more than a run creates, so a completed job is always still visible. */
export const KEEP_COMPLETED = 1_000_000
