'use strict'
/*
 * PendingSends, the tracker's table of sends in flight (lib/producer/pending-sends.js): lookups
 * by id, slots shared by ids a table size apart (it grows), the uint32 wrap, and the order in
 * which a disconnect fails what is left (oldest first).
 */
const { PendingSends } = require('../../lib/producer/pending-sends')

const send = (id) => ({ id })

test('adds, finds and takes sends by id; a taken send is gone', () => {
  const t = new PendingSends()
  for (let id = 0; id < 3000; id++) t.add(send(id))
  expect(t.size).toBe(3000)
  expect(t.get(2999)).toEqual({ id: 2999 })
  expect(t.take(17)).toEqual({ id: 17 })
  expect(t.get(17)).toBeUndefined()
  expect(t.take(17)).toBeUndefined()
  expect(t.get(3000)).toBeUndefined()
  expect(t.size).toBe(2999)
})

test('ids a table size apart both stay in flight (the table grows), and neither hides the other', () => {
  const t = new PendingSends()
  t.add(send(5))
  t.add(send(5 + 1024))
  t.add(send(5 + 4096))
  expect([t.get(5), t.get(5 + 1024), t.get(5 + 4096)]).toEqual([{ id: 5 }, { id: 1029 }, { id: 4101 }])
  expect(t.take(1029)).toEqual({ id: 1029 })
  expect(t.get(5)).toEqual({ id: 5 })
  expect(t.get(4101)).toEqual({ id: 4101 })
  expect(t.size).toBe(2)
})

test('ids() lists what is in flight oldest first, across the uint32 wrap', () => {
  const t = new PendingSends()
  const ids = [0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1, 2]
  for (const id of ids) t.add(send(id))
  t.take(0xfffffffe)
  t.take(1)
  expect(t.ids()).toEqual([0xfffffffd, 0xffffffff, 0, 2])
})
