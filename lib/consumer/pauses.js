'use strict'
/*
 * kafkajs's paused topics and partitions. A topic paused as a whole stays paused for the
 * partitions it gets later; the native consumer keeps the same set (it pauses partitions as they
 * are assigned, before any fetch).
 */
class Pauses {
  constructor() {
    this.topics = new Set()
    this.partitions = new Map() // topic -> Set of partitions
  }

  pause(topic, partitions) {
    if (!partitions) {
      this.topics.add(topic)
      return
    }
    if (!this.partitions.has(topic)) this.partitions.set(topic, new Set())
    for (const p of partitions) this.partitions.get(topic).add(p)
  }

  /** `assigned`: the topic's assigned partitions (a whole-topic pause keeps the others paused). */
  resume(topic, partitions, assigned) {
    if (!partitions) {
      this.topics.delete(topic)
      this.partitions.delete(topic)
      return
    }
    if (this.topics.delete(topic)) this.partitions.set(topic, new Set(assigned))
    const set = this.partitions.get(topic)
    if (set) for (const p of partitions) set.delete(p)
  }

  isPaused(topic, partition) {
    if (this.topics.has(topic)) return true
    const set = this.partitions.get(topic)
    return Boolean(set && set.has(partition))
  }

  /** kafkajs's paused(): `[{ topic, partitions }]`; a paused topic lists its assigned partitions. */
  list(assignedOf) {
    const out = []
    for (const topic of new Set([...this.topics, ...this.partitions.keys()])) {
      const partitions = this.topics.has(topic) ? assignedOf(topic) : [...this.partitions.get(topic)]
      if (partitions.length) out.push({ topic, partitions: partitions.sort((a, b) => a - b) })
    }
    return out
  }
}

module.exports = { Pauses }
