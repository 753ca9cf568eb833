'use strict'
/*
 * RECEIVED_UNSUBSCRIBED_TOPICS: when the group's leader hands this member partitions of a topic
 * it did not subscribe to, kafkajs emits the event (groupId, generationId, memberId,
 * assignedTopics, topicsSubscribed, topicsNotSubscribed), warns, and never consumes that topic.
 *
 * librdkafka assigns only what it subscribed to when it leads, so the only way to get such an
 * assignment is a foreign leader: a kafkajs consumer joins first (so it leads) with a custom
 * assigner named after a strategy the subject announces ('roundrobin' for kafka-napi, kafkajs's
 * 'RoundRobinAssigner' when the subject is kafkajs itself), and gives the subject the partition
 * of topic A it subscribed to plus partition 0 of topic B, which only the leader subscribed to.
 * The subject must report B, never hand a message of B to its handler, never commit an offset of
 * B, keep B out of paused(), and still consume A.
 */
const { subject, client, uniqueGroup, committed, until, settle } = require('../helpers/consumer-harness')
const { brokers, createTopic, uniqueTopic, referenceClient, kafkajs } = require('../helpers/kafka')
const { unsubscribedTopics } = require('../../lib/consumer/assignment')

const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol
const BOUND = 30000

/**
 * A kafkajs assigner named `name`: the member that subscribed to `topicA` gets A[0] and B[0],
 * the others B[1] (B[0] and B[1] while the leader is alone). `seen` records the members.
 */
const foreignAssigner = (name, topicA, topicB, seen) => () => ({
  name,
  version: 0,
  protocol: ({ topics }) => ({ name, metadata: MemberMetadata.encode({ version: 0, topics }) }),
  assign: async ({ members }) => {
    const decoded = members.map((m) => ({
      memberId: m.memberId,
      topics: MemberMetadata.decode(m.memberMetadata).topics,
    }))
    seen.push(decoded)
    const subject = decoded.find((m) => m.topics.includes(topicA))
    return decoded.map(({ memberId }) => {
      let assignment = { [topicB]: [0, 1] }
      if (subject) assignment = memberId === subject.memberId ? { [topicA]: [0], [topicB]: [0] } : { [topicB]: [1] }
      return { memberId, memberAssignment: MemberAssignment.encode({ version: 0, assignment }) }
    })
  },
})

async function produce(messages) {
  const producer = referenceClient().producer()
  await producer.connect()
  try {
    for (const { topic, partition, value } of messages)
      await producer.send({ topic, acks: -1, messages: [{ partition, value }] })
  } finally {
    await producer.disconnect()
  }
}

describe(`unsubscribed topics assigned by a foreign leader (subject: ${subject.name})`, () => {
  test('unsubscribedTopics: the assigned topics, and those not subscribed', () => {
    const list = [
      { topic: 'a', partition: 1 },
      { topic: 'b', partition: 0 },
      { topic: 'a', partition: 0 },
      { topic: 'c', partition: 2 },
    ]
    expect(unsubscribedTopics(['a'], list)).toEqual({
      assignedTopics: ['a', 'b', 'c'],
      topicsNotSubscribed: ['b', 'c'],
    })
    expect(unsubscribedTopics(new Set(['a', 'b', 'c']), list).topicsNotSubscribed).toEqual([])
    expect(unsubscribedTopics(['a'], [])).toEqual({ assignedTopics: [], topicsNotSubscribed: [] })
  })

  test('the event is emitted, the topic is never consumed nor committed, the subscribed topic is', async () => {
    const topicA = await createTopic({ topic: uniqueTopic('unsub-a'), partitions: 1 })
    const topicB = await createTopic({ topic: uniqueTopic('unsub-b'), partitions: 2 })
    const groupId = uniqueGroup('unsub')
    await produce([0, 1, 2].map((i) => ({ topic: topicA, partition: 0, value: `a${i}` })))

    const seen = []
    const leader = new kafkajs.Kafka({ clientId: 'unsub-leader', brokers: brokers(), logLevel: 0 }).consumer({
      groupId,
      maxWaitTimeInMs: 100,
      heartbeatInterval: 300,
      partitionAssigners: [
        foreignAssigner('roundrobin', topicA, topicB, seen),
        foreignAssigner('RoundRobinAssigner', topicA, topicB, seen),
      ],
    })
    const leaderGot = []
    const leaderJoins = []
    leader.on(leader.events.GROUP_JOIN, (e) => leaderJoins.push(e.payload))

    const member = client(subject.module.Kafka, brokers(), 'unsub-member').consumer({ groupId, maxWaitTimeInMs: 100 })
    const got = []
    const events = []
    const joins = []
    member.on(member.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e) => events.push(e.payload))
    member.on(member.events.GROUP_JOIN, (e) => joins.push(e.payload))
    try {
      await leader.connect()
      await leader.subscribe({ topics: [topicB], fromBeginning: true })
      await leader.run({
        eachMessage: async ({ topic, partition, message }) => {
          leaderGot.push({ topic, partition, value: message.value.toString() })
        },
      })
      await until('the leader alone in the group', () => leaderJoins.length > 0 && leaderJoins[0].isLeader, BOUND)

      await member.connect()
      await member.subscribe({ topics: [topicA], fromBeginning: true })
      await member.run({
        eachMessage: async ({ topic, partition, message }) => {
          got.push({ topic, partition, value: message.value.toString() })
        },
      })
      await until(
        'the leader assigning to both members',
        () =>
          leaderJoins.some(
            (j) =>
              j.isLeader &&
              Object.keys(j.memberAssignment).join() === topicB &&
              j.memberAssignment[topicB].join() === '1',
          ),
        BOUND,
      )
      await until('the RECEIVED_UNSUBSCRIBED_TOPICS event', () => events.length > 0, BOUND)

      const memberIds = seen[seen.length - 1].map((m) => m.memberId)
      const [event] = events
      expect(event).toEqual({
        groupId,
        generationId: expect.any(Number),
        memberId: expect.any(String),
        assignedTopics: expect.any(Array),
        topicsSubscribed: [topicA],
        topicsNotSubscribed: [topicB],
      })
      expect([...event.assignedTopics].sort()).toEqual([topicA, topicB].sort())
      expect(memberIds).toContain(event.memberId)
      // As kafkajs: the topic is left out of the assignment GROUP_JOIN reports.
      expect(joins[joins.length - 1].memberAssignment).toEqual({ [topicA]: [0] })

      // Messages produced to B after the assignment: B[0] belongs to the subject, which must ignore it.
      await produce([
        ...[0, 1, 2].map((i) => ({ topic: topicB, partition: 0, value: `b0-${i}` })),
        ...[0, 1, 2].map((i) => ({ topic: topicB, partition: 1, value: `b1-${i}` })),
        ...[3, 4].map((i) => ({ topic: topicA, partition: 0, value: `a${i}` })),
      ])
      await until(
        'the subject consuming its subscribed topic',
        () => got.filter((m) => m.topic === topicA).length >= 5,
        BOUND,
      )
      await until('the leader consuming B[1]', () => leaderGot.filter((m) => m.partition === 1).length >= 3, BOUND)
      // Time for a fetch of B[0], if one were made, to reach the handler.
      await new Promise((r) => setTimeout(r, 2000))

      expect(got.map((m) => `${m.topic === topicA ? 'A' : 'B'}${m.partition}:${m.value}`)).toEqual(
        [0, 1, 2, 3, 4].map((i) => `A0:a${i}`),
      )
      expect(leaderGot.filter((m) => m.partition === 0)).toEqual([])
      expect(member.paused()).toEqual([])

      // The leader goes first: once the subject leaves, the leader would take B[0] over and
      // commit it itself (seen in a CI run), which says nothing about the subject.
      await settle(leader.disconnect(), BOUND, 'the leader disconnecting')
      await settle(member.stop(), BOUND, 'the subject stopping')
      const offsetsB = await committed(groupId, topicB)
      expect(offsetsB[0]).toBe('-1')
      const offsetsA = await committed(groupId, topicA)
      expect(offsetsA[0]).toBe('5')
    } finally {
      await settle(member.disconnect(), BOUND, 'the subject disconnecting')
      await settle(leader.disconnect(), BOUND, 'the leader disconnecting')
    }
  })
})
