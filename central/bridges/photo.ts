/**
 * A complaint photo as the app sends it: base64 (or a data: URL) of a JPEG or PNG of
 * at most 2 MB. The type is read from the bytes, not from what the sender claims, so a
 * file served back as image/jpeg really is one.
 */

export const PHOTO_MAX_BYTES = 2 * 1024 * 1024;
/** Base64 of PHOTO_MAX_BYTES, plus room for a data: URL prefix and line breaks. */
export const PHOTO_BASE64_MAX_CHARS = Math.ceil(PHOTO_MAX_BYTES / 3) * 4 + 4096;

export type PhotoType = 'image/jpeg' | 'image/png';

export const PHOTO_EXTENSION: Readonly<Record<PhotoType, string>> = { 'image/jpeg': 'jpg', 'image/png': 'png' };

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sniffPhotoType(bytes: Buffer): PhotoType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_MAGIC)) return 'image/png';
  return undefined;
}

export function decodePhoto(text: string): { bytes: Buffer; type: PhotoType } | { error: string } {
  const dataUrl = /^data:([\w/+.-]*)(;[\w=-]+)*;base64,/i.exec(text);
  const base64 = (dataUrl ? text.slice(dataUrl[0].length) : text).replace(/\s+/g, '');
  // Buffer.from skips characters outside the alphabet silently: check first, or a
  // truncated or mangled upload would be stored as a broken picture.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) && !/^[A-Za-z0-9_-]*={0,2}$/.test(base64)) return { error: 'photo: not base64 (letters, digits, "+" "/" or "-" "_", "=" padding)' };
  const bytes = Buffer.from(base64, base64.includes('-') || base64.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) return { error: 'photo: empty' };
  if (bytes.length > PHOTO_MAX_BYTES) return { error: `photo: ${bytes.length} bytes, at most ${PHOTO_MAX_BYTES} (2 MB); resize it in the app` };
  const type = sniffPhotoType(bytes);
  if (!type) return { error: 'photo: not a JPEG or PNG picture' };
  return { bytes, type };
}
