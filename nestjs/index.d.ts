// Types for 'kafka-napi/nestjs'. KafkaNapiClient's types come from @nestjs/microservices
// (an optional peer dependency): projects without it need `skipLibCheck` (Nest's default).
import type { DynamicModule, InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common'
import type { ModuleRef } from '@nestjs/core'
import type { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices'
import type { Observable } from 'rxjs'
import type {
  CompressionTypes,
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  Kafka,
  KafkaConfig,
  Producer,
  ProducerConfig,
  RecordMetadata,
} from '..'

export interface KafkaProducerOptions {
  /** The Kafka client config (brokers, clientId, ssl, sasl, ...). */
  client: KafkaConfig
  /** The producer config (idempotent, retry, failureLog, ...). */
  producer?: ProducerConfig
}

export interface KafkaProducerModuleOptions extends KafkaProducerOptions {
  /** Registers the producer under getProducerToken(name); omit for the default producer. */
  name?: string
  /** Makes the producer injectable in every module. */
  global?: boolean
}

export interface KafkaProducerModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  name?: string
  global?: boolean
  inject?: Array<InjectionToken | OptionalFactoryDependency>
  useFactory: (...args: any[]) => KafkaProducerOptions | Promise<KafkaProducerOptions>
}

/** One producer per forRoot/forRootAsync: connected at module init, disconnected (flushed) at application shutdown. */
export declare class KafkaProducerModule {
  static forRoot(options: KafkaProducerModuleOptions): DynamicModule
  static forRootAsync(options: KafkaProducerModuleAsyncOptions): DynamicModule
}

/** The injection token of the producer named `name` (the default producer when omitted). */
export declare function getProducerToken(name?: string): string

/** Injects the producer named `name` (the default producer when omitted). */
export declare function InjectProducer(name?: string): PropertyDecorator & ParameterDecorator

export type KafkaProducerHealthResult<Key extends string = string> = Record<Key, { status: 'up' }>

/**
 * Health of a KafkaProducerModule producer, for @nestjs/terminus (not required): resolves while
 * the producer is connected, otherwise throws terminus's HealthCheckError (or, without terminus,
 * an Error) whose `causes` is `{ [key]: { status: 'down', message } }`.
 */
export declare class KafkaProducerHealthIndicator {
  constructor(moduleRef: ModuleRef)
  isHealthy<Key extends string = 'kafka'>(key?: Key, name?: string): Promise<KafkaProducerHealthResult<Key>>
}

export interface KafkaNapiClientOptions extends KafkaProducerOptions {
  /** Spread onto every send, as ClientKafka's `send` option. */
  send?: { acks?: number; timeout?: number; compression?: CompressionTypes }
  /** Defaults to Nest's KafkaRequestSerializer. */
  serializer?: { serialize(value: any, options?: any): any }
  /** Defaults to Nest's KafkaResponseDeserializer (replies of `send()`). */
  deserializer?: { deserialize(value: any, options?: any): any }
  /** The reply consumer's config; its group is `groupId + postfixId` ('nestjs-group' + '-client' by default), as ClientKafka's. */
  consumer?: Partial<ConsumerConfig>
  /** Spread onto the reply consumer's subscribe (e.g. `fromBeginning`). */
  subscribe?: { fromBeginning?: boolean }
  /** Spread onto the reply consumer's run (its eachMessage is the client's). */
  run?: Omit<ConsumerRunConfig, 'eachMessage' | 'eachBatch'>
  /** Appended to the consumer's groupId; default '-client'. */
  postfixId?: string
  /** Never create the reply consumer (emit only). Without any subscribeToResponseOf none is created either. */
  producerOnlyMode?: boolean
  /** Nest's KafkaParser options. */
  parser?: { keepBinary?: boolean }
}

/**
 * ClientKafka on kafka-napi, for `ClientsModule.register([{ name, customClass: KafkaNapiClient, options }])`:
 * `emit`/`emitBatch`, and `send()` request/reply for the patterns passed to `subscribeToResponseOf` before `connect()`.
 */
export declare class KafkaNapiClient extends ClientProxy {
  constructor(options: KafkaNapiClientOptions)
  readonly options: KafkaNapiClientOptions
  /** The producer, after connect(). */
  readonly producer: Producer
  /** The reply consumer, after connect() (when some response pattern was subscribed). */
  readonly consumer: Consumer
  /** Replies of `send(pattern)` come on `<pattern>.reply`: call before connect(). */
  subscribeToResponseOf(pattern: unknown): void
  /** This member's lowest partition of each reply topic (the reply partition its requests name). */
  getConsumerAssignments(): Record<string, number>
  connect(): Promise<Producer>
  close(): Promise<void>
  /** The kafka-napi Kafka client, after connect(). */
  unwrap<T = Kafka>(): T
  emit<TResult = RecordMetadata[], TInput = any>(pattern: any, data: TInput): Observable<TResult>
  emitBatch<TResult = RecordMetadata[], TInput = any>(pattern: any, data: { messages: TInput[] }): Observable<TResult>
  protected dispatchEvent<T = RecordMetadata[]>(packet: ReadPacket): Promise<T>
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void
}
