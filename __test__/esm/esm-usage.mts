// An ES module app (module/moduleResolution nodenext): named values and types from both entries.

import type { DeliveryFailure, KafkaConfig, Producer, ProducerRecord, RecordMetadata } from 'kafka-napi'
import kafkaNapi, {
  CompressionTypes,
  type FailureLog,
  isKafkaJSError,
  Kafka,
  KafkaJSError,
  KafkaJSMemberIdRequired,
  KafkaJSNumberOfRetriesExceeded,
  logLevel,
  MockCluster,
  Partitioners,
  ProducerEvents,
  replayFailures,
} from 'kafka-napi'
import type { KafkaNapiClientOptions, KafkaProducerHealthResult, KafkaProducerModuleOptions } from 'kafka-napi/nestjs'
import {
  getProducerToken,
  InjectProducer,
  KafkaNapiClient,
  type KafkaProducerHealthIndicator,
  KafkaProducerModule,
} from 'kafka-napi/nestjs'

const mock = new MockCluster({ brokers: 1 })
const config: KafkaConfig = { clientId: 'esm', brokers: mock.brokers, logLevel: logLevel.WARN }
const producer: Producer = new Kafka(config).producer({ createPartitioner: Partitioners.DefaultPartitioner })
const failures: DeliveryFailure[] = []
producer.on(ProducerEvents.DELIVERY_FAILURE, (e) => failures.push(e.payload as DeliveryFailure))

export async function send(record: ProducerRecord): Promise<RecordMetadata[]> {
  try {
    return await producer.send({ ...record, compression: CompressionTypes.GZIP })
  } catch (e) {
    if (e instanceof KafkaJSNumberOfRetriesExceeded) console.log(e.retryCount)
    if (e instanceof KafkaJSMemberIdRequired) console.log(e.memberId)
    if (e instanceof KafkaJSError && isKafkaJSError(e)) console.log(e.retriable)
    throw e
  }
}

export const replayed: Promise<{ replayed: number; failed: number }> = replayFailures('failures.jsonl', producer)
export const log: FailureLog = new kafkaNapi.FailureLog({ path: 'failures.jsonl' })

const moduleOptions: KafkaProducerModuleOptions = { client: config, producer: { idempotent: true } }
export const dynamicModule = KafkaProducerModule.forRoot(moduleOptions)
export const token: string = getProducerToken('events')
export const decorator: PropertyDecorator & ParameterDecorator = InjectProducer()
const clientOptions: KafkaNapiClientOptions = { client: config, send: { acks: -1 } }
export const client: KafkaNapiClient = new KafkaNapiClient(clientOptions)
const replyOptions: KafkaNapiClientOptions = {
  client: config,
  consumer: { groupId: 'checkout' },
  subscribe: { fromBeginning: true },
  run: { partitionsConsumedConcurrently: 2 },
}
export const replying: KafkaNapiClient = new KafkaNapiClient(replyOptions)
replying.subscribeToResponseOf('orders.get')
export const replyPartitions: Record<string, number> = replying.getConsumerAssignments()
export type Health = KafkaProducerHealthResult<'kafka'>
export type Indicator = KafkaProducerHealthIndicator
