// A file written against kafkajs's producer API, with only the import changed.
// Checked by `tsc --noEmit` in __test__/types/types.spec.js; never executed.
import {
  CompressionTypes,
  FailureLog,
  Kafka,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  logLevel,
  Message,
  Partitioners,
  Producer,
  ProducerRecord,
  RecordMetadata,
} from '../../index'

const kafka = new Kafka({
  clientId: 'orders',
  brokers: ['kafka:9092'],
  ssl: { ca: ['-----BEGIN CERTIFICATE-----'] },
  sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
  connectionTimeout: 3000,
  requestTimeout: 25000,
  retry: { initialRetryTime: 100, retries: 8 },
  logLevel: logLevel.ERROR,
  logCreator:
    (level) =>
    ({ namespace, label, log }) =>
      console.log(level, namespace, label, log.message),
})

const dynamic = new Kafka({ brokers: async () => ['a:9092', 'b:9092'] })

const producer: Producer = kafka.producer({
  createPartitioner: Partitioners.LegacyPartitioner,
  idempotent: true,
  maxInFlightRequests: 1,
  transactionalId: 'tx-1',
  failureLog: new FailureLog({ path: '/tmp/failed.jsonl' }),
})

async function main(): Promise<void> {
  await producer.connect()
  const remove = producer.on(producer.events.CONNECT, (e) => console.log(e.timestamp))
  remove()
  const messages: Message[] = [
    { key: 'k', value: 'v', headers: { trace: 'x', multi: ['a', Buffer.from('b')] }, timestamp: String(Date.now()) },
    { key: null, value: null },
    { value: Buffer.from('x'), partition: 2 },
  ]
  const record: ProducerRecord = {
    topic: 'orders',
    messages,
    acks: -1,
    timeout: 30000,
    compression: CompressionTypes.GZIP,
  }
  const result: RecordMetadata[] = await producer.send(record)
  const offset: string | undefined = result[0].baseOffset
  await producer.sendBatch({ topicMessages: [{ topic: 'a', messages }], acks: 1, compression: CompressionTypes.ZSTD })
  try {
    await producer.send({ topic: 't', messages: [{ value: 'x' }] })
  } catch (e) {
    if (e instanceof KafkaJSNumberOfRetriesExceeded && e.retriable === false) console.log(e.retryCount)
    if (e instanceof KafkaJSProtocolError && e.type === 'NOT_ENOUGH_REPLICAS') console.log(e.code)
    if (e instanceof KafkaJSError) console.log(e.name, e.message)
  }
  producer.logger().info('sent', { offset })
  console.log(producer.isIdempotent(), dynamic)
  await producer.disconnect()
}

main()
