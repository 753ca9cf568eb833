/// <reference types="node" />
// Public types: kafkajs's producer API (2.2.x), plus the few kafka-napi additions marked below.
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
  /** kafka-napi: bytes of sends the native enqueue path may hold before further sends wait (up to maxBlockMs; default 64 MiB). */
  maxEnqueueBytes?: number
  /** kafka-napi: how long disconnect() waits for in-flight messages (ms, default 30000). */
  disconnectTimeout?: number
  /** kafka-napi: called for every message that could not be delivered. */
  onDeliveryFailure?: (report: DeliveryFailure) => void | Promise<void>
  /** kafka-napi: durable record of failed messages (a FailureLog or any { record(report) }). */
  failureLog?: FailureRecorder
  /** kafka-napi: how long a failure waits for `failureLog.record` to confirm (ms, default 10000). */
  failureLogTimeout?: number
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
  logger(): Logger
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
