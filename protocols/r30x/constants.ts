/**
 * Wire constants of the R30x / AS608 / ZFM-20/70 fingerprint module serial protocol.
 *
 * Every number here is a protocol fact, checked against:
 *  - adafruit/Adafruit-Fingerprint-Sensor-Library, Adafruit_Fingerprint.h (FINGERPRINT_* defines)
 *  - adafruit/Adafruit_CircuitPython_Fingerprint, adafruit_fingerprint.py (_GETIMAGE.., OK.. constants)
 *  - bastianraschke/pyfingerprint, src/files/pyfingerprint/pyfingerprint.py (0x03 Match, 0x12 SetPwd)
 *  - R30x / R303A / R503 (Hangzhou Grow) and ZFM-70 (Zhiantec, shipped as Velleman VMA329)
 *    user manuals: packet layout, instruction table, confirmation-code table,
 *    ReadSysPara parameter list.
 * Descriptions below are our own wording; nothing is copied from those sources.
 */

/** Start code, sent high byte first (manual: "fixed value EF01H"). */
export const HEADER = 0xef01;
export const HEADER_HI = 0xef;
export const HEADER_LO = 0x01;

/** Factory module address; the manuals and both Adafruit libraries default to it. */
export const DEFAULT_ADDRESS = 0xffffffff;

/** Bytes before the payload: header(2) + address(4) + packet id(1) + length(2). */
export const FRAME_PREFIX_LENGTH = 9;
/** Trailing checksum size; it is counted inside the length field. */
export const CHECKSUM_LENGTH = 2;
/** Length field is u16 and includes the 2 checksum bytes. */
export const MAX_PAYLOAD_LENGTH = 0xffff - CHECKSUM_LENGTH;

/** Packet identifiers (byte 6). */
export const PacketId = {
  COMMAND: 0x01,
  DATA: 0x02,
  ACK: 0x07,
  END_OF_DATA: 0x08,
} as const;
export type PacketId = (typeof PacketId)[keyof typeof PacketId];

const PACKET_IDS: ReadonlySet<number> = new Set(Object.values(PacketId));
export function isPacketId(value: number): value is PacketId {
  return PACKET_IDS.has(value);
}

/** Instruction codes (first payload byte of a command packet). */
export const Instruction = {
  GEN_IMG: 0x01,
  IMG2TZ: 0x02,
  MATCH: 0x03,
  SEARCH: 0x04,
  REG_MODEL: 0x05,
  STORE: 0x06,
  LOAD_CHAR: 0x07,
  UP_CHAR: 0x08,
  DELETE_CHAR: 0x0c,
  EMPTY: 0x0d,
  READ_SYS_PARA: 0x0f,
  SET_PWD: 0x12,
  VFY_PWD: 0x13,
  TEMPLATE_NUM: 0x1d,
} as const;
export type Instruction = (typeof Instruction)[keyof typeof Instruction];

/** The two character-file buffers the manuals define (CharBuffer1/CharBuffer2). */
export type CharBufferId = 1 | 2;

export interface ConfirmationInfo {
  readonly name: string;
  readonly meaning: string;
}

/**
 * Confirmation codes (first payload byte of an ack packet). The table is the
 * union of the R503 and ZFM-70 manual lists; Adafruit/CircuitPython names agree
 * for every code they define. Codes not listed are "system reserved" per the
 * manuals, so they are reported as unknown rather than rejected.
 */
export const CONFIRMATION_CODES: ReadonlyMap<number, ConfirmationInfo> = new Map([
  [0x00, { name: 'OK', meaning: 'command executed successfully' }],
  [0x01, { name: 'RECEIVE_ERROR', meaning: 'module failed to receive the packet' }],
  [0x02, { name: 'NO_FINGER', meaning: 'no finger detected on the sensor' }],
  [0x03, { name: 'ENROLL_FAIL', meaning: 'failed to capture/enroll the finger image' }],
  [0x06, { name: 'IMAGE_MESSY', meaning: 'image too disorderly to extract features' }],
  [0x07, { name: 'FEATURE_FAIL', meaning: 'too few feature points or image too small' }],
  [0x08, { name: 'NO_MATCH', meaning: 'the two templates do not match' }],
  [0x09, { name: 'NOT_FOUND', meaning: 'no matching template found in the library' }],
  [0x0a, { name: 'COMBINE_FAIL', meaning: 'failed to combine the character files' }],
  [0x0b, { name: 'BAD_LOCATION', meaning: 'page id is outside the finger library' }],
  [0x0c, { name: 'READ_TEMPLATE_FAIL', meaning: 'template read from library failed or is invalid' }],
  [0x0d, { name: 'UPLOAD_TEMPLATE_FAIL', meaning: 'error while uploading the template' }],
  [0x0e, { name: 'DATA_RECEIVE_FAIL', meaning: 'module cannot receive the following data packets' }],
  [0x0f, { name: 'UPLOAD_IMAGE_FAIL', meaning: 'error while uploading the image' }],
  [0x10, { name: 'DELETE_FAIL', meaning: 'failed to delete the template' }],
  [0x11, { name: 'CLEAR_FAIL', meaning: 'failed to clear the finger library' }],
  [0x13, { name: 'WRONG_PASSWORD', meaning: 'wrong module password' }],
  [0x15, { name: 'INVALID_IMAGE', meaning: 'no valid primary image to generate from' }],
  [0x18, { name: 'FLASH_ERROR', meaning: 'error while writing flash' }],
  [0x19, { name: 'UNDEFINED_ERROR', meaning: 'undefined error' }],
  [0x1a, { name: 'INVALID_REGISTER', meaning: 'invalid register number' }],
  [0x1b, { name: 'BAD_REGISTER_CONFIG', meaning: 'incorrect register configuration' }],
  [0x1c, { name: 'BAD_NOTEPAD_PAGE', meaning: 'wrong notepad page number' }],
  [0x1d, { name: 'PORT_FAIL', meaning: 'failed to operate the communication port' }],
  [0x20, { name: 'ADDRESS_ERROR', meaning: 'module address is incorrect' }],
  [0x21, { name: 'PASSWORD_REQUIRED', meaning: 'password must be verified first' }],
]);

/** ReadSysPara packet-size code → data packet payload size in bytes (manual: 0..3). */
export const PACKET_SIZE_BYTES: readonly number[] = [32, 64, 128, 256];

/** ReadSysPara baud setting N → N × 9600 bps, N = 1..12 (manual). */
export const BAUD_UNIT = 9600;
export const BAUD_MULTIPLIER_MAX = 12;

/**
 * Largest payload the streaming deframer accepts by default. Data packets carry at
 * most 256 bytes (packet-size code 3) and acks far less, so a bigger length field
 * almost certainly means we locked onto an `EF 01` inside garbage; refusing it lets
 * us resync instead of waiting for up to 64 KiB that will never come.
 */
export const DEFAULT_MAX_FRAME_PAYLOAD = 256;
