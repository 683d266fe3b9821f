/**
 * MPEG audio frame headers (MPEG-1, -2 and 2.5, Layers I-III) and the Xing/Info/LAME and VBRI
 * tags some encoders put in the first frame. Written by hand: the frame scan needs each frame's
 * offset and length, which the header gives in four bytes.
 */

export interface MpegFrame {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  readonly version: 1 | 2 | 2.5;
  readonly layer: 1 | 2 | 3;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Frame length in bytes, header included. */
  readonly length: number;
  /** Samples per channel the frame decodes to. */
  readonly samples: number;
  readonly crcProtected: boolean;
}

const BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<number, readonly number[]> = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] };

/**
 * The frame header at b[i], or null. Free-format frames (bitrate index 0) are not recognised:
 * their length is not in the header, and no encoder in use writes them.
 */
export function mpegFrameAt(b: Uint8Array, i: number): MpegFrame | null {
  if (i + 4 > b.length || b[i] !== 0xff || (b[i + 1]! & 0xe0) !== 0xe0) return null;
  const versionBits = (b[i + 1]! >> 3) & 3;
  const layerBits = (b[i + 1]! >> 1) & 3;
  const bitrateIndex = b[i + 2]! >> 4;
  const rateIndex = (b[i + 2]! >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  if ((b[i + 3]! & 3) === 2) return null; // reserved emphasis
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const kbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`]![bitrateIndex]!;
  const sampleRate = RATES[version]![rateIndex]!;
  const padding = (b[i + 2]! >> 1) & 1;
  const channels = (b[i + 3]! >> 6) === 3 ? 1 : 2;
  let length: number;
  let samples: number;
  if (layer === 1) {
    length = (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4;
    samples = 384;
  } else {
    const perFrame = layer === 3 && version !== 1 ? 72 : 144;
    length = Math.floor((perFrame * kbps * 1000) / sampleRate) + padding;
    samples = layer === 3 && version !== 1 ? 576 : 1152;
  }
  return { version, layer, sampleRate, channels, length, samples, crcProtected: (b[i + 1]! & 1) === 0 };
}

/** Two frames may belong to one stream: mpg123 treats a change of these as a new stream. */
export function sameStream(a: MpegFrame, b: MpegFrame): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate && a.channels === b.channels;
}

export interface InfoTag {
  /** Audio frames in the file, from the Xing/Info or VBRI tag (null when not given). */
  readonly frames: number | null;
  /** From a LAME (or LAME-compatible Lavc) tag: encoder delay and padding, in samples. */
  readonly encoderDelay: number | null;
  readonly padding: number | null;
}

/**
 * The Xing/Info (with LAME extension) or VBRI tag in `frame` (the bytes of the first frame), or
 * null when it is an ordinary audio frame. A tag frame carries no audio.
 */
export function infoTag(frame: Uint8Array, header: MpegFrame): InfoTag | null {
  const text = (at: number, n: number) => String.fromCharCode(...frame.subarray(at, at + n));
  const u32 = (at: number) => (frame[at]! * 2 ** 24 + ((frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!)) >>> 0;
  if (header.layer === 3) {
    const sideInfo = header.version === 1 ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17;
    const at = 4 + (header.crcProtected ? 2 : 0) + sideInfo;
    const id = text(at, 4);
    if ((id === 'Xing' || id === 'Info') && at + 8 <= frame.length) {
      const flags = u32(at + 4);
      let p = at + 8;
      let frames: number | null = null;
      if (flags & 1) {
        if (p + 4 <= frame.length) frames = u32(p);
        p += 4;
      }
      if (flags & 2) p += 4;
      if (flags & 4) p += 100;
      if (flags & 8) p += 4;
      // LAME tag: 9-byte encoder string, then at +21 the 12-bit delay and 12-bit padding.
      let encoderDelay: number | null = null;
      let padding: number | null = null;
      const encoder = text(p, 4);
      if ((encoder === 'LAME' || encoder === 'Lavc' || encoder === 'Lavf' || encoder === 'L3.9') && p + 24 <= frame.length) {
        encoderDelay = (frame[p + 21]! << 4) | (frame[p + 22]! >> 4);
        padding = ((frame[p + 22]! & 15) << 8) | frame[p + 23]!;
      }
      return { frames, encoderDelay, padding };
    }
  }
  // VBRI (Fraunhofer) sits 32 bytes after the header.
  if (text(36, 4) === 'VBRI' && frame.length >= 36 + 18) return { frames: u32(36 + 14), encoderDelay: null, padding: null };
  return null;
}
