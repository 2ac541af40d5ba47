/**
 * Pure codec for the ZKTeco "ZK binary protocol" (fingerprint/face attendance
 * terminals, TCP/UDP 4370). No sockets, no timers: drivers and the simulator
 * own I/O and call into these functions. Every malformed input raises
 * ZkProtocolError.
 */
export * from './constants.js';
export * from './errors.js';
export * from './frame.js';
export * from './time.js';
export * from './records.js';
export * from './events.js';
export * from './bulk.js';
export * from './auth.js';
