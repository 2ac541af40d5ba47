/**
 * R30x / AS608 / ZFM fingerprint module serial protocol: pure codec, no I/O.
 * Drivers pair `R30xDeframer` with the builders and reply decoders; every
 * failure surfaces as `R30xProtocolError` (a `ProtocolError`).
 */
export * from './constants.js';
export * from './packet.js';
export * from './commands.js';
