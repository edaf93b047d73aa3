/** Array-backed FIFO with O(1) amortised push/shift (no Array#shift copying). */
export class Deque<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get size(): number {
    return this.items.length - this.head
  }

  push(v: T): void {
    this.items.push(v)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const v = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return v
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T
  }
}
