/**
 * Base of every error a pure codec in `protocols/` throws. Drivers catch this one
 * type to tell "the device sent something we cannot read" apart from I/O failures.
 * `where` says where in the input the problem is (byte offset, field path, line).
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly where: string,
    readonly protocol: string,
  ) {
    super(`${protocol}: ${message} (at ${where})`);
    this.name = new.target.name;
  }
}
