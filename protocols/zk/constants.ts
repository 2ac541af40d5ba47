/**
 * Numbers of the ZKTeco "ZK binary protocol" (the standalone SDK protocol on
 * TCP/UDP 4370).
 *
 * Sources, checked against each other:
 *  - [PM]  adrobinoga/zk-protocol, protocol.md (command/reply/event tables)
 *  - [EX]  adrobinoga/zk-protocol, sections/ex_data.md and data-record.md
 *  - [PC]  fananimi/pyzk, zk/const.py (same values; adds FCT_* and the TCP magic)
 *  - [PB]  fananimi/pyzk, zk/base.py (_CMD_PREPARE_BUFFER 1503 / _CMD_READ_BUFFER
 *          1504 and the chunk sizes, used literally there and named in later const.py)
 */

/** Default port of the terminals, TCP and UDP alike [PM terminal.md]. */
export const ZK_PORT = 4370;

/** TCP frames start with these four bytes [PM "start" field; PC MACHINE_PREPARE_DATA_1/2 = 0x5050, 0x7d82 LE]. */
export const TCP_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x50, 0x50, 0x82, 0x7d);
/** Magic (4) + u32 LE inner length (4) [PM: u16 size + 2 zero bytes, read as u32 by pyzk]. */
export const TCP_HEADER_SIZE = 8;
/** cmd u16 | checksum u16 | session u16 | reply u16 [PM "Regular Packet Payload"]. */
export const PACKET_HEADER_SIZE = 8;
/** Reply ids wrap below this value: pyzk subtracts USHRT_MAX once the id reaches it [PB __create_header]. */
export const USHRT_MAX = 0xffff;

/** Command and reply codes [PM table; PC]. */
export const CMD = {
  DB_RRQ: 7,
  USER_WRQ: 8,
  USERTEMP_RRQ: 9,
  OPTIONS_RRQ: 11,
  OPTIONS_WRQ: 12,
  ATTLOG_RRQ: 13,
  CLEAR_DATA: 14,
  CLEAR_ATTLOG: 15,
  OPLOG_RRQ: 34,
  GET_FREE_SIZES: 50,
  GET_TIME: 201,
  SET_TIME: 202,
  REG_EVENT: 500,
  CONNECT: 1000,
  EXIT: 1001,
  ENABLEDEVICE: 1002,
  DISABLEDEVICE: 1003,
  RESTART: 1004,
  POWEROFF: 1005,
  REFRESHDATA: 1013,
  GET_VERSION: 1100,
  AUTH: 1102,
  PREPARE_DATA: 1500,
  DATA: 1501,
  FREE_DATA: 1502,
  /** Buffered read request; [EX] calls it CMD_DATA_WRRQ, pyzk _CMD_PREPARE_BUFFER. */
  PREPARE_BUFFER: 1503,
  /** Read one chunk of the prepared buffer; pyzk _CMD_READ_BUFFER. */
  READ_BUFFER: 1504,
  ACK_OK: 2000,
  ACK_ERROR: 2001,
  ACK_DATA: 2002,
  ACK_RETRY: 2003,
  ACK_REPEAT: 2004,
  ACK_UNAUTH: 2005,
  ACK_ERROR_DATA: 0xfffb,
  ACK_ERROR_INIT: 0xfffc,
  ACK_ERROR_CMD: 0xfffd,
  ACK_UNKNOWN: 0xffff,
} as const;
export type ZkCommandName = keyof typeof CMD;

/** Realtime event flags for REG_EVENT; the event packet carries the code in its session field [PM]. */
export const EF = {
  ATTLOG: 1,
  FINGER: 1 << 1,
  ENROLLUSER: 1 << 2,
  ENROLLFINGER: 1 << 3,
  BUTTON: 1 << 4,
  UNLOCK: 1 << 5,
  VERIFY: 1 << 7,
  FPFTR: 1 << 8,
  ALARM: 1 << 9,
} as const;

/** Data-set selectors ("fct") of the buffered read [PC]. */
export const FCT = {
  ATTLOG: 1,
  FINGERTMP: 2,
  OPLOG: 4,
  USER: 5,
  SMS: 6,
  UDATA: 7,
  WORKCODE: 8,
} as const;

/**
 * Largest chunk pyzk asks for in one READ_BUFFER: just under 64 KiB on TCP,
 * 16 KiB on UDP [PB read_with_buffer]. Devices are known to accept these.
 */
export const MAX_CHUNK_TCP = 0xffc0;
export const MAX_CHUNK_UDP = 16 * 1024;

/** Attendance log record sizes we decode (pyzk get_attendance, plus 49 from pyzk PR #166/#167). */
export const ATT_RECORD_SIZES = [8, 16, 40, 49] as const;
export type AttRecordSize = (typeof ATT_RECORD_SIZES)[number];

/** Live attendance payload lengths pyzk live_capture knows (52 may repeat). */
export const LIVE_ATT_LENGTHS = [10, 12, 14, 32, 36, 37, 52] as const;
export type LiveAttLength = (typeof LIVE_ATT_LENGTHS)[number];

/** Reverse lookup for log lines: 2005 -> "ACK_UNAUTH". */
export function commandName(code: number): string {
  for (const [name, value] of Object.entries(CMD)) if (value === code) return name;
  return `CMD_${code}`;
}
