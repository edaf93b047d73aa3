/**
 * Minimal typed event emitter. Emit sites check `has(name)` first so that no
 * payload is built for events nobody listens to (the hot path stays lean).
 */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Events[keyof Events][]>()

  on<K extends keyof Events>(name: K, fn: Events[K]): this {
    const list = this.listeners.get(name)
    if (list === undefined) this.listeners.set(name, [fn])
    else list.push(fn)
    return this
  }

  off<K extends keyof Events>(name: K, fn: Events[K]): this {
    const list = this.listeners.get(name)
    if (list === undefined) return this
    const i = list.indexOf(fn)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.listeners.delete(name)
    return this
  }

  once<K extends keyof Events>(name: K, fn: Events[K]): this {
    const wrapper = ((...args: Parameters<Events[K]>) => {
      this.off(name, wrapper)
      ;(fn as (...a: Parameters<Events[K]>) => void)(...args)
    }) as unknown as Events[K]
    return this.on(name, wrapper)
  }

  has(name: keyof Events): boolean {
    return this.listeners.has(name)
  }

  emit<K extends keyof Events>(name: K, ...args: Parameters<Events[K]>): void {
    const list = this.listeners.get(name)
    if (list === undefined) return
    for (const fn of list.slice()) {
      try {
        ;(fn as (...a: Parameters<Events[K]>) => void)(...args)
      } catch (err) {
        if (name !== 'error' && this.listeners.has('error' as K)) this.emit('error' as K, ...([err] as Parameters<Events[K]>))
      }
    }
  }
}
