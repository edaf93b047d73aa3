/**
 * Counts completions and resolves when `target` is reached or the deadline
 * passes, whichever is first. The deadline is also checked on each completion:
 * a system that processes jobs in a chain of microtasks (plainjob does) starves
 * timers, so a timer alone could fire long after the deadline.
 */
export class CompletionCounter {
  done = 0
  /** performance.now() of the completion that reached the target, or of the deadline */
  finishedAt = 0
  readonly finished: Promise<void>
  private resolveFinished!: () => void
  private timer: NodeJS.Timeout | undefined
  private deadline = Infinity

  constructor(private readonly target: number) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve
    })
  }

  /** Arm the deadline (absolute performance.now() time). */
  until(deadline: number): void {
    this.deadline = deadline
    this.timer = setTimeout(() => this.finish(), Math.max(0, deadline - performance.now()))
  }

  complete(): void {
    if (++this.done === this.target || performance.now() >= this.deadline) this.finish()
  }

  private finish(): void {
    if (this.finishedAt !== 0) return
    this.finishedAt = performance.now()
    clearTimeout(this.timer)
    this.resolveFinished()
  }
}
