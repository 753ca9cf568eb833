'use strict'
/*
 * The sends in flight, by id: a table indexed by the id's low bits, not a Map.
 *
 * A Map is what this was, and it made nearly every send's objects outlive their send. V8 rehashes
 * a Map's table every few hundred inserts (deleted entries fill it up), and the table left behind
 * keeps its entries and a pointer to its successor. Once such a table is in the old generation,
 * a young-generation collection takes it as alive (it does not trace the old generation), so
 * whatever it points to survives, is promoted, and later rehashes drag the next sends along: in
 * W2 (single-message sends, 1,000 in flight) about 310 bytes per send reached the old generation,
 * which then grew to 40-80 MB between full collections and held the process's RSS up after it.
 * Here a finished send's slot is cleared, and the array is replaced only when it grows.
 *
 * Ids are the tracker's sequence numbers (uint32, wrapping). Two sends in flight share a slot only
 * when their ids are a multiple of the table's size apart; the table then doubles until they
 * don't (ids distinct modulo a size stay distinct modulo twice that size).
 */

const INITIAL_SLOTS = 1024

class PendingSends {
  constructor() {
    this.slots = new Array(INITIAL_SLOTS).fill(undefined)
    this.mask = INITIAL_SLOTS - 1
    this.size = 0
    this.lastId = -1
  }

  /** The send with `id`, or undefined. */
  get(id) {
    const p = this.slots[id & this.mask]
    return p !== undefined && p.id === id ? p : undefined
  }

  /** Adds `p` (a send with a unique `p.id`). */
  add(p) {
    while (this.slots[p.id & this.mask] !== undefined) this.grow()
    this.slots[p.id & this.mask] = p
    this.size++
    this.lastId = p.id
  }

  /** Removes and returns the send with `id`, or undefined. */
  take(id) {
    const i = id & this.mask
    const p = this.slots[i]
    if (p === undefined || p.id !== id) return undefined
    this.slots[i] = undefined
    this.size--
    return p
  }

  grow() {
    const old = this.slots
    this.slots = new Array(old.length * 2).fill(undefined)
    this.mask = this.slots.length - 1
    for (const p of old) if (p !== undefined) this.slots[p.id & this.mask] = p
  }

  /** The ids in flight, oldest first (the order they were added, across the uint32 wrap). */
  ids() {
    const after = (this.lastId + 1) >>> 0
    const age = (id) => (id - after) >>> 0
    const ids = []
    for (const p of this.slots) if (p !== undefined) ids.push(p.id)
    return ids.sort((a, b) => age(a) - age(b))
  }
}

module.exports = { PendingSends }
