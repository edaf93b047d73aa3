/**
 * Promises waiting for an LSN to become durable, kept sorted by LSN in flat
 * arrays (appends arrive in LSN order, so adding is a push) and settled in
 * order from the front.
 */
type Resolve = (lsn: number) => void
type Reject = (err: unknown) => void

export class LsnWaiters {
  private lsns: number[] = []
  private resolves: Resolve[] = []
  private rejects: Reject[] = []
  private head = 0

  get size(): number {
    return this.lsns.length - this.head
  }

  add(lsn: number, resolve: Resolve, reject: Reject): void {
    const n = this.lsns.length
    if (n === this.head || this.lsns[n - 1] <= lsn) {
      this.lsns.push(lsn)
      this.resolves.push(resolve)
      this.rejects.push(reject)
      return
    }
    // Rare (durable() for an older LSN): insert in order.
    let i = n
    while (i > this.head && this.lsns[i - 1] > lsn) i--
    this.lsns.splice(i, 0, lsn)
    this.resolves.splice(i, 0, resolve)
    this.rejects.splice(i, 0, reject)
  }

  /** Resolve every waiter with lsn <= `lsn`, in order. */
  resolveThrough(lsn: number): void {
    const lsns = this.lsns
    let h = this.head
    const n = lsns.length
    while (h < n && lsns[h] <= lsn) {
      const r = this.resolves[h]
      this.resolves[h] = undefined as unknown as Resolve
      this.rejects[h] = undefined as unknown as Reject
      r(lsns[h])
      h++
    }
    this.head = h
    this.compact()
  }

  /** Reject every waiter with lsn >= `lsn`. */
  rejectFrom(lsn: number, err: unknown): void {
    const failed: Reject[] = []
    while (this.lsns.length > this.head && this.lsns[this.lsns.length - 1] >= lsn) {
      this.lsns.pop()
      this.resolves.pop()
      failed.push(this.rejects.pop()!)
    }
    for (let i = failed.length - 1; i >= 0; i--) failed[i](err)
    this.compact()
  }

  rejectAll(err: unknown): void {
    this.rejectFrom(-Infinity, err)
  }

  private compact(): void {
    if (this.head === this.lsns.length) {
      this.lsns = []
      this.resolves = []
      this.rejects = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.lsns.length) {
      this.lsns = this.lsns.slice(this.head)
      this.resolves = this.resolves.slice(this.head)
      this.rejects = this.rejects.slice(this.head)
      this.head = 0
    }
  }
}
