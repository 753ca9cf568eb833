/// <reference types="node" />
// Public types: kafkajs's producer and consumer API (2.2.x), plus the few kafka-napi additions marked below.
import type { ConnectionOptions } from 'node:tls'

export enum logLevel {
  NOTHING = 0,
  ERROR = 1,
  WARN = 2,
  INFO = 4,
  DEBUG = 5,
}

export enum CompressionTypes {
  None = 0,
  GZIP = 1,
  Snappy = 2,
  LZ4 = 3,
  ZSTD = 4,
}

export declare const CompressionCodecs: { [key in CompressionTypes]: () => any }

export interface RetryOptions {
  maxRetryTime?: number
  initialRetryTime?: number
  factor?: number
  multiplier?: number
  retries?: number
}

export type SASLOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }

export interface LogEntry {
  namespace: string
  level: logLevel
  label: string
  log: { timestamp: string; logger: string; message: string; [key: string]: any }
}
export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void

export interface KafkaConfig {
  brokers: string[] | (() => string[] | Promise<string[]>)
  ssl?: ConnectionOptions | boolean
  sasl?: SASLOptions
  clientId?: string
  connectionTimeout?: number
  authenticationTimeout?: number
  reauthenticationThreshold?: number
  requestTimeout?: number
  enforceRequestTimeout?: boolean
  retry?: RetryOptions
  logLevel?: logLevel
  logCreator?: logCreator
}

export interface PartitionMetadata {
  partitionErrorCode: number
  partitionId: number
  leader: number
  replicas: number[]
  isr: number[]
}
export interface PartitionerArgs {
  topic: string
  partitionMetadata: PartitionMetadata[]
  message: Message
}
export type ICustomPartitioner = () => (args: PartitionerArgs) => number
export declare const Partitioners: {
  DefaultPartitioner: ICustomPartitioner
  LegacyPartitioner: ICustomPartitioner
  JavaCompatiblePartitioner: ICustomPartitioner
}

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined
}
export interface Message {
  key?: Buffer | string | null
  value: Buffer | string | null
  partition?: number
  headers?: IHeaders
  timestamp?: string
}

/** kafka-napi addition: what `producer.events.DELIVERY_FAILURE` listeners and `onDeliveryFailure` get. */
export interface DeliveryFailure {
  topic: string
  partition?: number
  message: Message
  error: KafkaJSError
  /**
   * Produce attempts the message had, as librdkafka's rules imply (it does not report the count):
   * retries + 1 when a retriable broker error outlived the retries, 1 for a non-retriable broker
   * error, 0 when it never reached a broker (validation, queue full, disconnected), null when the
   * delivery timeout expired.
   */
  attempts: number | null
  /** True when the message was in flight when it failed (timed out or purged): the broker may have stored it. */
  possiblyPersisted: boolean
  /** Set when the failure sink could not record this report (it threw, rejected or timed out). */
  recordError?: Error
}

export interface FailureRecorder {
  /** A returned Promise is awaited (at most `failureLogTimeout` ms) before the failure is reported. */
  record(report: DeliveryFailure): void | Promise<void>
}

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner
  retry?: RetryOptions
  metadataMaxAge?: number
  allowAutoTopicCreation?: boolean
  idempotent?: boolean
  transactionalId?: string
  transactionTimeout?: number
  /** Requests in flight per broker connection. kafka-napi's default is 5 (Java's); kafkajs has no limit. */
  maxInFlightRequests?: number
  /** kafka-napi: a finite deadline for every message (librdkafka message.timeout.ms). Default: send timeout + retry backoff budget. */
  deliveryTimeout?: number
  /** kafka-napi: librdkafka linger.ms (default 0: send at once, like kafkajs). */
  lingerMs?: number
  /** kafka-napi: librdkafka batch.size in bytes. */
  batchSize?: number
  /** kafka-napi: librdkafka batch.num.messages. */
  batchNumMessages?: number
  queueBufferingMaxMessages?: number
  queueBufferingMaxKbytes?: number
  /** kafka-napi: how long a send waits for room when librdkafka's local queue is full (ms; like Java's max.block.ms). Default: the delivery timeout. */
  maxBlockMs?: number
  /** kafka-napi: bytes the native enqueue path may hold: a send waits (up to maxBlockMs) until the backlog plus its packed size fits; one larger send goes into an empty backlog (default 64 MiB). */
  maxEnqueueBytes?: number
  /** kafka-napi: how long disconnect() waits for in-flight messages (ms, default 30000). */
  disconnectTimeout?: number
  /** kafka-napi: called for every message that could not be delivered. */
  onDeliveryFailure?: (report: DeliveryFailure) => void | Promise<void>
  /** kafka-napi: durable record of failed messages (a FailureLog or any { record(report) }). */
  failureLog?: FailureRecorder
  /** kafka-napi: how long a failure waits for `failureLog.record` to confirm (ms, default 10000). */
  failureLogTimeout?: number
  /** kafka-napi (Linux): librdkafka's threads (and the one that hands large sends to librdkafka) run this much below the JS thread's priority (a nice increment, 0-19, default 10; 0 = off). */
  ioThreadNice?: number
  /** kafka-napi: extra librdkafka properties, applied last. */
  rdkafka?: Record<string, string | number | boolean>
}

export interface ProducerRecord {
  topic: string
  messages: Message[]
  acks?: number
  timeout?: number
  compression?: CompressionTypes
}
export interface TopicMessages {
  topic: string
  messages: Message[]
}
export interface ProducerBatch {
  acks?: number
  timeout?: number
  compression?: CompressionTypes
  topicMessages?: TopicMessages[]
}
export type RecordMetadata = {
  topicName: string
  partition: number
  errorCode: number
  offset?: string
  timestamp?: string
  baseOffset?: string
  logAppendTime?: string
  logStartOffset?: string
}

export interface Logger {
  info: (message: string, extra?: object) => void
  error: (message: string, extra?: object) => void
  warn: (message: string, extra?: object) => void
  debug: (message: string, extra?: object) => void
  namespace: (namespace: string, logLevel?: logLevel) => Logger
  setLogLevel: (logLevel: logLevel) => void
}

export interface InstrumentationEvent<T> {
  id: string | number
  type: string
  timestamp: number
  payload: T
}
export type RemoveInstrumentationEventListener = () => void

export declare const ProducerEvents: {
  CONNECT: 'producer.connect'
  DISCONNECT: 'producer.disconnect'
  REQUEST: 'producer.network.request'
  REQUEST_TIMEOUT: 'producer.network.request_timeout'
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size'
  DELIVERY_FAILURE: 'producer.delivery_failure'
}

export type Producer = {
  connect(): Promise<void>
  disconnect(): Promise<void>
  isIdempotent(): boolean
  readonly events: typeof ProducerEvents
  on(eventName: string, listener: (event: InstrumentationEvent<any>) => void): RemoveInstrumentationEventListener
  send(record: ProducerRecord): Promise<RecordMetadata[]>
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>
  transaction(): Promise<never>
  logger(): Logger
}

export declare class Kafka {
  constructor(config: KafkaConfig)
  producer(config?: ProducerConfig): Producer
  consumer(config: ConsumerConfig): Consumer
  logger(): Logger
}

// ---- Consumer (kafkajs's shapes) ----

export interface Assigner {
  name: string
  version: number
  assign(group: { members: { memberId: string }[]; topics: string[] }): Promise<any[]>
  protocol(subscription: { topics: string[] }): { name: string; metadata: Buffer }
}
export type PartitionAssigner = (config: { cluster: any; groupId: string; logger: Logger }) => Assigner
/** Only round robin: librdkafka assigns partitions (see README, "The group protocol"). */
export declare const PartitionAssigners: { roundRobin: PartitionAssigner }

export interface ConsumerConfig {
  groupId: string
  partitionAssigners?: PartitionAssigner[]
  metadataMaxAge?: number
  sessionTimeout?: number
  rebalanceTimeout?: number
  heartbeatInterval?: number
  maxBytesPerPartition?: number
  minBytes?: number
  maxBytes?: number
  maxWaitTimeInMs?: number
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> }
  allowAutoTopicCreation?: boolean
  maxInFlightRequests?: number
  readUncommitted?: boolean
  rackId?: string
  /** kafka-napi addition: librdkafka consumer properties, applied last. */
  rdkafka?: Record<string, string | number | boolean>
}

interface MessageSetEntry {
  key: Buffer | null
  value: Buffer | null
  timestamp: string
  attributes: number
  offset: string
  size: number
  headers?: never
}
interface RecordBatchEntry {
  key: Buffer | null
  value: Buffer | null
  timestamp: string
  attributes: number
  offset: string
  headers: IHeaders
  size?: never
}
export type KafkaMessage = MessageSetEntry | RecordBatchEntry

export type TopicPartitions = { topic: string; partitions: number[] }
export type TopicPartition = { topic: string; partition: number }
export type TopicPartitionOffset = TopicPartition & { offset: string }
export type TopicPartitionOffsetAndMetadata = TopicPartitionOffset & { metadata?: string | null }
export type PartitionOffset = { partition: number; offset: string }
export type TopicOffsets = { topic: string; partitions: PartitionOffset[] }
export type Offsets = { topics: TopicOffsets[] }
export interface OffsetsByTopicPartition {
  topics: TopicOffsets[]
}

export type Batch = {
  topic: string
  partition: number
  highWatermark: string
  messages: KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): string | null
  lastOffset(): string
  offsetLag(): string
  offsetLagLow(): string
}

export type MemberDescription = {
  clientHost: string
  clientId: string
  memberId: string
  memberAssignment: Buffer
  memberMetadata: Buffer
}
export type ConsumerGroupState = 'Unknown' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Empty'
export type GroupDescription = {
  groupId: string
  members: MemberDescription[]
  protocol: string
  protocolType: string
  state: ConsumerGroupState
}

export type ConsumerEvents = {
  HEARTBEAT: 'consumer.heartbeat'
  COMMIT_OFFSETS: 'consumer.commit_offsets'
  GROUP_JOIN: 'consumer.group_join'
  FETCH_START: 'consumer.fetch_start'
  FETCH: 'consumer.fetch'
  START_BATCH_PROCESS: 'consumer.start_batch_process'
  END_BATCH_PROCESS: 'consumer.end_batch_process'
  CONNECT: 'consumer.connect'
  DISCONNECT: 'consumer.disconnect'
  STOP: 'consumer.stop'
  CRASH: 'consumer.crash'
  REBALANCING: 'consumer.rebalancing'
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics'
  REQUEST: 'consumer.network.request'
  REQUEST_TIMEOUT: 'consumer.network.request_timeout'
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size'
}
/** kafka-napi addition: the event names as a value (kafkajs has them on `consumer.events`). */
export declare const ConsumerEvents: ConsumerEvents

export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string
  memberId: string
  groupGenerationId: number
}>
export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string
  memberId: string
  groupGenerationId: number
  topics: TopicOffsets[]
}>
export interface IMemberAssignment {
  [key: string]: number[]
}
export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number
  groupId: string
  isLeader: boolean
  leaderId: string
  groupProtocol: string
  memberId: string
  memberAssignment: IMemberAssignment
}>
export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>
export type ConsumerFetchEvent = InstrumentationEvent<{ numberOfBatches: number; duration: number; nodeId: number }>
interface IBatchProcessEvent {
  topic: string
  partition: number
  highWatermark: string
  offsetLag: string
  offsetLagLow: string
  batchSize: number
  firstOffset: string
  lastOffset: string
}
export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>
export type ConsumerCrashEvent = InstrumentationEvent<{ error: Error; groupId: string; restart: boolean }>
export type ConsumerRebalancingEvent = InstrumentationEvent<{ groupId: string; memberId: string }>
export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string
  generationId: number
  memberId: string
  assignedTopics: string[]
  topicsSubscribed: string[]
  topicsNotSubscribed: string[]
}>

export interface EachMessagePayload {
  topic: string
  partition: number
  message: KafkaMessage
  heartbeat(): Promise<void>
  pause(): () => void
}
export interface EachBatchPayload {
  batch: Batch
  resolveOffset(offset: string): void
  heartbeat(): Promise<void>
  pause(): () => void
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>
  uncommittedOffsets(): OffsetsByTopicPartition
  isRunning(): boolean
  isStale(): boolean
}
export type ConsumerEachMessagePayload = EachMessagePayload
export type ConsumerEachBatchPayload = EachBatchPayload
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>

export type ConsumerRunConfig = {
  autoCommit?: boolean
  autoCommitInterval?: number | null
  autoCommitThreshold?: number | null
  eachBatchAutoResolve?: boolean
  partitionsConsumedConcurrently?: number
  eachBatch?: EachBatchHandler
  eachMessage?: EachMessageHandler
}
/** @deprecated Replaced by ConsumerSubscribeTopics */
export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean }
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean }

export type Consumer = {
  connect(): Promise<void>
  disconnect(): Promise<void>
  subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>
  stop(): Promise<void>
  run(config?: ConsumerRunConfig): Promise<void>
  commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void>
  seek(topicPartitionOffset: TopicPartitionOffset): void
  describeGroup(): Promise<GroupDescription>
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void
  paused(): TopicPartitions[]
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void
  on(
    eventName: ConsumerEvents['HEARTBEAT'],
    listener: (event: ConsumerHeartbeatEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['COMMIT_OFFSETS'],
    listener: (event: ConsumerCommitOffsetsEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['GROUP_JOIN'],
    listener: (event: ConsumerGroupJoinEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['FETCH_START'],
    listener: (event: ConsumerFetchStartEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['FETCH'],
    listener: (event: ConsumerFetchEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['START_BATCH_PROCESS'],
    listener: (event: ConsumerStartBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['END_BATCH_PROCESS'],
    listener: (event: ConsumerEndBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['CONNECT'],
    listener: (event: InstrumentationEvent<null>) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['DISCONNECT'],
    listener: (event: InstrumentationEvent<null>) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['STOP'],
    listener: (event: InstrumentationEvent<null>) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['CRASH'],
    listener: (event: ConsumerCrashEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['REBALANCING'],
    listener: (event: ConsumerRebalancingEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['RECEIVED_UNSUBSCRIBED_TOPICS'],
    listener: (event: ConsumerReceivedUnsubcribedTopicsEvent) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['REQUEST'],
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['REQUEST_TIMEOUT'],
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents['REQUEST_QUEUE_SIZE'],
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener
  on(
    eventName: ConsumerEvents[keyof ConsumerEvents],
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener
  logger(): Logger
  readonly events: ConsumerEvents
}

export interface FailureLogEntry {
  id: string
  failedAt: string
  topic: string
  partition: number | null
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | Buffer[] | null>
  timestamp: string | number | null
  error: { name: string; type?: string; code?: number | string; message: string; retriable?: boolean }
  attempts: number | null
  possiblyPersisted: boolean
  /** How many replays this record has failed. */
  replays: number
}

export interface ReplayOptions {
  /** acks for the replayed sends (default -1). */
  acks?: number
  /** Batches in flight at once (default 4). */
  concurrency?: number
  /** Records per sendBatch (default 500). */
  batchSize?: number
  /**
   * Records that may already be stored: 'keep' them in the log (default), 'send' them anyway, or
   * answer per record whether it is already stored (true: dropped without sending).
   */
  possiblyPersisted?: 'keep' | 'send' | ((entry: FailureLogEntry) => boolean | Promise<boolean>)
}

export interface ReplayResult {
  replayed: number
  failed: number
  kept: number
  skipped: number
}

export interface FailureLogCorruption {
  path: string
  setAsideIn: string
  offset: number
  bytes: number
  what: string
}

/** kafka-napi addition: a journal of failed messages (see the README's "Failure log and replay"). */
export declare class FailureLog implements FailureRecorder {
  constructor(options: { path: string; onCorruption?: (info: FailureLogCorruption) => void })
  readonly path: string
  /** Resolves once the record is durable (group-committed). */
  record(report: DeliveryFailure): Promise<void>
  /** Records several at once; resolves once durable, with null or an encoding error per report. */
  recordBatch(reports: DeliveryFailure[]): Promise<Array<Error | null>>
  /** Resolves once every record so far is durable. */
  flush(): Promise<void>
  /** The unconsumed records, in failure order. */
  entries(): FailureLogEntry[]
  replay(producer: Producer, options?: ReplayOptions): Promise<ReplayResult>
  /** Releases the file and its lock. */
  close(): Promise<void>
}
/** kafka-napi addition: replays the failure log at `path` through `producer`; see FailureLog#replay. */
export declare function replayFailures(path: string, producer: Producer, options?: ReplayOptions): Promise<ReplayResult>

/** Another process holds the failure log (`code: 'KAFKA_NAPI_FAILURE_LOG_LOCKED'`). */
export declare class FailureLogLockedError extends KafkaJSNonRetriableError {
  readonly code: 'KAFKA_NAPI_FAILURE_LOG_LOCKED'
  readonly path: string
  readonly pid?: number
  readonly host?: string
}

/**
 * kafka-napi addition: librdkafka's in-process mock cluster, for tests and for trying the library
 * without a broker. It is not Apache Kafka (no SASL, no admin API, no real replication). Use
 * `brokers` as the `brokers` of `new Kafka(...)`.
 */
export declare class MockCluster {
  constructor(options?: { brokers?: number })
  readonly brokers: string[]
  createTopic(topic: string, options?: { partitions?: number; replicationFactor?: number }): void
  /** The next Produce requests fail with these Kafka error codes, one per request, in order. */
  failProduceRequests(...codes: number[]): void
  clearProduceErrors(): void
  brokerDown(id: number): void
  brokerUp(id: number): void
  roundTripTime(id: number, ms: number): void
  setLeader(topic: string, partition: number, broker: number): void
  close(): void
}

export declare class KafkaJSError extends Error {
  readonly message: string
  readonly name: string
  readonly retriable: boolean
  readonly helpUrl?: string
  readonly cause?: Error
  constructor(e: Error | string, metadata?: { retriable?: boolean; cause?: Error })
}
export declare class KafkaJSNonRetriableError extends KafkaJSError {}
export declare class KafkaJSProtocolError extends KafkaJSError {
  readonly code: number
  readonly type: string
}
export declare class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  readonly topic: string
  readonly partition: number
}
export declare class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  readonly memberId: string
}
export declare class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number
  readonly retryTime: number
  /** kafka-napi: the protocol error's type/code, copied from `cause` when it is a protocol error. */
  readonly type?: string
  readonly code?: number
}
export declare class KafkaJSConnectionError extends KafkaJSError {
  readonly broker: string
}
export declare class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  readonly host: string
  readonly port: number
}
export declare class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker: string
  readonly correlationId: number
  readonly createdAt: number
  readonly sentAt: number
  readonly pendingDuration: number
}
export declare class KafkaJSMetadataNotLoaded extends KafkaJSError {}
export declare class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  readonly topic: string
}
export declare class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  readonly topic: string
  readonly unknownPartitions: number
}
export declare class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  readonly apiKey: number
  readonly apiName: string
}
export declare class KafkaJSBrokerNotFound extends KafkaJSError {}
export declare class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {}
export declare class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {}
export declare class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {}
export declare class KafkaJSNotImplemented extends KafkaJSNonRetriableError {}
export declare class KafkaJSTimeout extends KafkaJSNonRetriableError {}
export declare class KafkaJSLockTimeout extends KafkaJSTimeout {}
export declare class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {}
export declare class KafkaJSDeleteGroupsError extends KafkaJSError {
  readonly groups: any[]
}
export declare class KafkaJSDeleteTopicRecordsError extends KafkaJSError {}
export declare class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {}
export declare class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {}
export declare class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  readonly topic: string
}
export declare class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  readonly topic?: string
  readonly partition?: number
}
export declare class KafkaJSAggregateError extends Error {
  readonly errors: (Error | string)[]
}
export declare class KafkaJSFetcherRebalanceError extends Error {}
export declare class KafkaJSNoBrokerAvailableError extends KafkaJSError {}
export declare function isRebalancing(e: Error): boolean
export declare function isKafkaJSError(e: Error): boolean
