'use strict'
/*
 * Kafka protocol error codes with kafkajs's type names and its retriable classification.
 * Names follow kafkajs where it differs from the Java client (6 NOT_LEADER_FOR_PARTITION,
 * 14 GROUP_LOAD_IN_PROGRESS, 15 GROUP_COORDINATOR_NOT_AVAILABLE, 16 NOT_COORDINATOR_FOR_GROUP).
 */

// kafkajs's retriable protocol codes.
const RETRIABLE = new Set([
  2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84, 88,
])

const TYPES = [
  [-1, 'UNKNOWN', 'The server experienced an unexpected error when processing the request'],
  [1, 'OFFSET_OUT_OF_RANGE', 'The requested offset is not within the range of offsets maintained by the server'],
  [2, 'CORRUPT_MESSAGE', 'This message has failed its CRC checksum, exceeds the valid size, or is otherwise corrupt'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition'],
  [4, 'INVALID_FETCH_SIZE', 'The requested fetch size is invalid'],
  [
    5,
    'LEADER_NOT_AVAILABLE',
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
  ],
  [6, 'NOT_LEADER_FOR_PARTITION', 'This server is not the leader for that topic-partition'],
  [7, 'REQUEST_TIMED_OUT', 'The request timed out'],
  [8, 'BROKER_NOT_AVAILABLE', 'The broker is not available'],
  [9, 'REPLICA_NOT_AVAILABLE', 'The replica is not available for the requested topic-partition'],
  [10, 'MESSAGE_TOO_LARGE', 'The request included a message larger than the max message size the server will accept'],
  [11, 'STALE_CONTROLLER_EPOCH', 'The controller moved to another broker'],
  [12, 'OFFSET_METADATA_TOO_LARGE', 'The metadata field of the offset request was too large'],
  [13, 'NETWORK_EXCEPTION', 'The server disconnected before a response was received'],
  [14, 'GROUP_LOAD_IN_PROGRESS', "The coordinator is loading and hence can't process requests"],
  [15, 'GROUP_COORDINATOR_NOT_AVAILABLE', 'The group coordinator is not available'],
  [16, 'NOT_COORDINATOR_FOR_GROUP', 'This is not the correct coordinator for this group'],
  [17, 'INVALID_TOPIC_EXCEPTION', 'The request attempted to perform an operation on an invalid topic'],
  [
    18,
    'RECORD_LIST_TOO_LARGE',
    'The request included message batch larger than the configured segment size on the server',
  ],
  [19, 'NOT_ENOUGH_REPLICAS', 'Messages are rejected since there are fewer in-sync replicas than required'],
  [
    20,
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    'Messages are written to the log, but to fewer in-sync replicas than required',
  ],
  [21, 'INVALID_REQUIRED_ACKS', 'Produce request specified an invalid value for required acks'],
  [22, 'ILLEGAL_GENERATION', 'Specified group generation id is not valid'],
  [
    23,
    'INCONSISTENT_GROUP_PROTOCOL',
    "The group member's supported protocols are incompatible with those of existing members",
  ],
  [24, 'INVALID_GROUP_ID', 'The configured groupId is invalid'],
  [25, 'UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member'],
  [26, 'INVALID_SESSION_TIMEOUT', 'The session timeout is not within the range allowed by the broker'],
  [27, 'REBALANCE_IN_PROGRESS', 'The group is rebalancing, so a rejoin is needed'],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', 'The committing offset data size is not valid'],
  [29, 'TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics: [Topic authorization failed]'],
  [30, 'GROUP_AUTHORIZATION_FAILED', 'Not authorized to access group: Group authorization failed'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', 'Cluster authorization failed'],
  [32, 'INVALID_TIMESTAMP', 'The timestamp of the message is out of acceptable range'],
  [33, 'UNSUPPORTED_SASL_MECHANISM', 'The broker does not support the requested SASL mechanism'],
  [34, 'ILLEGAL_SASL_STATE', 'Request is not valid given the current SASL state'],
  [35, 'UNSUPPORTED_VERSION', 'The version of API is not supported'],
  [36, 'TOPIC_ALREADY_EXISTS', 'Topic with this name already exists'],
  [37, 'INVALID_PARTITIONS', 'Number of partitions is invalid'],
  [38, 'INVALID_REPLICATION_FACTOR', 'Replication-factor is invalid'],
  [39, 'INVALID_REPLICA_ASSIGNMENT', 'Replica assignment is invalid'],
  [40, 'INVALID_CONFIG', 'Configuration is invalid'],
  [41, 'NOT_CONTROLLER', 'This is not the correct controller for this cluster'],
  [
    42,
    'INVALID_REQUEST',
    'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker',
  ],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', 'The message format version on the broker does not support the request'],
  [44, 'POLICY_VIOLATION', 'Request parameters do not satisfy the configured policy'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'The broker received an out of order sequence number'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', 'The broker received a duplicate sequence number'],
  [
    47,
    'INVALID_PRODUCER_EPOCH',
    "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker",
  ],
  [48, 'INVALID_TXN_STATE', 'The producer attempted a transactional operation in an invalid state'],
  [
    49,
    'INVALID_PRODUCER_ID_MAPPING',
    'The producer attempted to use a producer id which is not currently assigned to its transactional id',
  ],
  [
    50,
    'INVALID_TRANSACTION_TIMEOUT',
    'The transaction timeout is larger than the maximum value allowed by the broker (as configured by max.transaction.timeout.ms)',
  ],
  [
    51,
    'CONCURRENT_TRANSACTIONS',
    'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
  ],
  [
    52,
    'TRANSACTION_COORDINATOR_FENCED',
    'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer',
  ],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'Transactional Id authorization failed'],
  [54, 'SECURITY_DISABLED', 'Security features are disabled'],
  [55, 'OPERATION_NOT_ATTEMPTED', 'The broker did not attempt to execute this operation'],
  [56, 'KAFKA_STORAGE_ERROR', 'Disk error when trying to access log file on the disk'],
  [57, 'LOG_DIR_NOT_FOUND', 'The user-specified log directory is not found in the broker config'],
  [58, 'SASL_AUTHENTICATION_FAILED', 'SASL Authentication failed'],
  [
    59,
    'UNKNOWN_PRODUCER_ID',
    'This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question',
  ],
  [60, 'REASSIGNMENT_IN_PROGRESS', 'A partition reassignment is in progress'],
  [67, 'INVALID_PRINCIPAL_TYPE', 'Principal type is not supported'],
  [
    72,
    'LISTENER_NOT_FOUND',
    'There is no listener on the leader broker that matches the listener on which metadata request was processed',
  ],
  [74, 'FENCED_LEADER_EPOCH', 'The leader epoch in the request is older than the epoch on the broker'],
  [75, 'UNKNOWN_LEADER_EPOCH', 'The leader epoch in the request is newer than the epoch on the broker'],
  [
    76,
    'UNSUPPORTED_COMPRESSION_TYPE',
    'The requesting client does not support the compression type of given partition',
  ],
  [77, 'STALE_BROKER_EPOCH', 'Broker epoch has changed'],
  [
    78,
    'OFFSET_NOT_AVAILABLE',
    'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing',
  ],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE', 'The preferred leader was not available'],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', 'Eligible topic partition leaders are not available'],
  [84, 'ELECTION_NOT_NEEDED', 'Leader election not needed for topic partition'],
  [87, 'INVALID_RECORD', 'Some record has failed the validation on broker and hence be rejected'],
  [88, 'UNSTABLE_OFFSET_COMMIT', 'There are unstable offsets that need to be cleared'],
  [89, 'THROTTLING_QUOTA_EXCEEDED', 'The throttling quota has been exceeded'],
  [90, 'PRODUCER_FENCED', 'There is a newer producer with the same transactionalId which fences the current one'],
  [93, 'UNACCEPTABLE_CREDENTIAL', 'Requested credential would not meet criteria for acceptability'],
  [100, 'UNKNOWN_TOPIC_ID', 'This server does not host this topic ID'],
  [107, 'INELIGIBLE_REPLICA', 'The new ISR contains at least one ineligible replica'],
  [
    108,
    'NEW_LEADER_ELECTED',
    'The AlterPartition request successfully updated the partition state but the leader has changed',
  ],
]

const BY_CODE = new Map(
  TYPES.map(([code, type, message]) => [code, { code, type, message, retriable: RETRIABLE.has(code) }]),
)

/** `{ code, type, message, retriable }` for a protocol error code; unknown codes are not retriable. */
function protocolError(code) {
  return (
    BY_CODE.get(code) || {
      code,
      type: `KAFKA_ERROR_${code}`,
      message: `Kafka protocol error ${code}`,
      retriable: RETRIABLE.has(code),
    }
  )
}

module.exports = { protocolError, RETRIABLE }
