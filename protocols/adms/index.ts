/**
 * ZKTeco ADMS / iclock PUSH protocol body codecs: pure, no HTTP. The HTTP server
 * maps `GET /iclock/cdata?options=all` → formatHandshakeReply,
 * `POST /iclock/cdata?table=ATTLOG` → parseAttlogBody + formatAttlogAck,
 * `GET /iclock/getrequest` → formatCommands, `POST /iclock/devicecmd` →
 * parseDeviceCmdResult, after validating the query with parseQuery.
 * Every failure is an `AdmsProtocolError` (a `ProtocolError`).
 */
export * from './handshake.js';
export * from './attlog.js';
export * from './commands.js';
