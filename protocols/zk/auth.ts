/**
 * Comm-key authentication (CMD_AUTH, 1102).
 *
 * A terminal with a comm key (the numeric "Comm Key"/password set on the
 * device) answers CONNECT with ACK_UNAUTH; the client then sends CMD_AUTH whose
 * 4 data bytes scramble the key with the session id from that reply.
 * zk-protocol (sections/terminal.md) left the scrambling unknown; the steps
 * below follow the description of MakeKey in pyzk base.py make_commkey
 * (itself attributed to ZKTeco's commpro.c):
 *   1. reverse the 32 bits of the key;
 *   2. add the session id;
 *   3. take the LE bytes and XOR them with 'Z', 'K', 'S', 'O';
 *   4. swap the two 16-bit halves;
 *   5. XOR bytes 0, 1, 3 with the low byte of a "ticks" value and store that
 *      byte itself as byte 2 (pyzk always uses 50).
 * Because byte 2 carries ticks in clear, a verifier can recompute the key
 * without knowing the client's ticks (see verifyCommKey).
 */
import { ZkProtocolError, requireUint } from './errors.js';

/** pyzk's fixed ticks value. */
export const DEFAULT_TICKS = 50;

function reverse32(x: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) r = (r * 2 + ((x >>> i) & 1)) >>> 0;
  return r;
}

/** The 4-byte CMD_AUTH payload for `commKey` in session `sessionId`. */
export function makeCommKey(commKey: number, sessionId: number, ticks: number = DEFAULT_TICKS): Buffer {
  requireUint(commKey, 0xffffffff, 'commKey');
  requireUint(sessionId, 0xffff, 'sessionId');
  requireUint(ticks, 0xff, 'ticks');
  // pyzk would fail to pack a sum above 32 bits; wrapping is the only sensible
  // C-like reading and only matters for keys with the top bits all set.
  const k = (reverse32(commKey) + sessionId) % 0x1_0000_0000;
  const b = Buffer.alloc(4);
  b.writeUInt32LE(k, 0);
  const x = [0x5a, 0x4b, 0x53, 0x4f].map((m, i) => (b[i] ?? 0) ^ m); // "ZKSO"
  const swapped = [x[2] ?? 0, x[3] ?? 0, x[0] ?? 0, x[1] ?? 0];
  return Buffer.from([(swapped[0] ?? 0) ^ ticks, (swapped[1] ?? 0) ^ ticks, ticks, (swapped[3] ?? 0) ^ ticks]);
}

/** Simulator side: does a CMD_AUTH payload match `commKey` for this session? */
export function verifyCommKey(data: Uint8Array, commKey: number, sessionId: number): boolean {
  if (data.length < 4) {
    throw new ZkProtocolError(`CMD_AUTH payload has ${data.length} bytes, needs 4`, `byte ${data.length}`);
  }
  const expected = makeCommKey(commKey, sessionId, data[2] ?? 0);
  return expected.equals(Buffer.from(data.subarray(0, 4)));
}
