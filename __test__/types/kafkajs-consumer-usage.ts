// A kafkajs consumer program, unchanged but for the import: it must type-check against index.d.ts.
import {
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  EachMessagePayload,
  Kafka,
  KafkaMessage,
  logLevel,
  PartitionAssigners,
} from '../../index'

const kafka = new Kafka({ clientId: 'app', brokers: ['localhost:9092'], logLevel: logLevel.ERROR })

const config: ConsumerConfig = {
  groupId: 'group',
  sessionTimeout: 30000,
  rebalanceTimeout: 60000,
  heartbeatInterval: 3000,
  maxBytesPerPartition: 1048576,
  minBytes: 1,
  maxBytes: 10485760,
  maxWaitTimeInMs: 5000,
  retry: { retries: 5, restartOnFailure: async (e: Error) => e.name !== 'Fatal' },
  allowAutoTopicCreation: true,
  readUncommitted: false,
  maxInFlightRequests: 5,
  rackId: 'a',
  partitionAssigners: [PartitionAssigners.roundRobin],
}
const consumer: Consumer = kafka.consumer(config)

async function main(): Promise<void> {
  await consumer.connect()
  await consumer.subscribe({ topic: 'a', fromBeginning: true })
  await consumer.subscribe({ topics: ['b', /^c/] })
  const removeJoin = consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const assigned: number[] | undefined = e.payload.memberAssignment.a
    console.log(e.payload.memberId, e.payload.isLeader, assigned)
  })
  consumer.on(consumer.events.CRASH, (e) => console.log(e.payload.error.message, e.payload.restart))
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => console.log(e.payload.topics[0].partitions[0].offset))
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => console.log(e.payload.duration, e.payload.offsetLag))
  removeJoin()
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 5000,
    autoCommitThreshold: null,
    partitionsConsumedConcurrently: 2,
    eachMessage: async ({ topic, partition, message, heartbeat, pause }: EachMessagePayload) => {
      const m: KafkaMessage = message
      const key: string | undefined = m.key?.toString()
      const header = m.headers?.trace
      console.log(topic, partition, key, header, m.offset, m.timestamp, m.attributes)
      await heartbeat()
      if (m.value === null) pause()()
    },
  })
  await consumer.stop()
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({
      batch,
      resolveOffset,
      commitOffsetsIfNecessary,
      uncommittedOffsets,
      isRunning,
      isStale,
    }: EachBatchPayload) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break
        resolveOffset(message.offset)
      }
      console.log(batch.highWatermark, batch.offsetLag(), batch.firstOffset(), uncommittedOffsets().topics)
      await commitOffsetsIfNecessary()
    },
  })
  consumer.seek({ topic: 'a', partition: 0, offset: '10' })
  consumer.pause([{ topic: 'a' }, { topic: 'b', partitions: [0] }])
  const paused: { topic: string; partitions: number[] }[] = consumer.paused()
  consumer.resume(paused)
  await consumer.commitOffsets([{ topic: 'a', partition: 0, offset: '11', metadata: null }])
  const group = await consumer.describeGroup()
  console.log(
    group.state,
    group.members.map((m) => m.memberAssignment.length),
  )
  consumer.logger().info('done')
  await consumer.disconnect()
}

main().catch(() => process.exit(1))
