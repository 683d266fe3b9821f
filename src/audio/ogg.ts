/**
 * Ogg: pages found and checked by a scan at open, packets reassembled from any page on, and
 * decoded positions taken from the pages' granule positions. The codec (Vorbis, Opus) is in
 * ogg-codecs.ts. Written by hand because seeking needs each page's offset and granule position,
 * which streaming parsers do not expose.
 *
 * The scan checks every page's CRC and sequence number (a damaged or missing page is an error
 * at open) and that granule positions never go backwards nor jump further than the page's
 * packets can decode to (so a damaged header cannot claim hours of audio). A page cut short at
 * the end is dropped, with a warning.
 *
 * Timing: a granule position is the position just after the last sample of the page's last
 * complete packet. A decode from any page aligns on the first page where one of its packets
 * ends, and must then agree with every later page's granule position (anything else is a
 * damaged stream); only the last page may declare fewer samples than were decoded (the end is
 * trimmed). At the start, the difference between the first granule position and the samples
 * decoded before it is removed too, as is the codec's pre-skip.
 */
import { InputFileError } from '../errors.js';
import { crc32 } from './crc.js';
import { PacketError, oggCodecFor, oggCodecName, type OggCodec, type PacketDecoder } from './ogg-codecs.js';
import { ReadWindow, type ByteSource } from './source.js';
import { PositionIndex, type CodecStream, type DecodedChunk, type DecodeSession } from './streamed.js';
import type { AudioInfo } from './types.js';

const HEADER = 27;
const MAX_PAGE = HEADER + 255 + 255 * 255;
const SCAN_STEP = 1 << 20;
/** Packets larger than this are damage, not audio (Opus packets stay under 64 KB). */
const MAX_PACKET = 1 << 22;
/** Decoded samples handed out per chunk. */
const CHUNK_SAMPLES = 1 << 14;

interface Page {
  readonly offset: number;
  readonly flags: number;
  /** -1 when no packet ends on the page. */
  readonly granule: number;
  readonly serial: number;
  readonly sequence: number;
  readonly lacing: Uint8Array;
  readonly bodyOffset: number;
  readonly length: number;
}

const CONTINUED = 1;
const FIRST = 2;
const LAST = 4;

/** Parses the page at b[i]; 'short' when the buffer ends first, null when it is not a valid page. */
function pageAt(b: Uint8Array, i: number, offset: number): Page | 'short' | null {
  if (i + HEADER > b.length) return 'short';
  if (b[i] !== 0x4f || b[i + 1] !== 0x67 || b[i + 2] !== 0x67 || b[i + 3] !== 0x53 || b[i + 4] !== 0) return null;
  const segments = b[i + 26]!;
  if (i + HEADER + segments > b.length) return 'short';
  const lacing = b.subarray(i + HEADER, i + HEADER + segments);
  let body = 0;
  for (const l of lacing) body += l;
  const length = HEADER + segments + body;
  if (i + length > b.length) return 'short';
  const view = new DataView(b.buffer, b.byteOffset + i, HEADER);
  const stored = view.getUint32(22, true);
  let crc = crc32(b, i, i + 22);
  crc = crc32(new Uint8Array(4), 0, 4, crc);
  crc = crc32(b, i + 26, i + length, crc);
  if (crc !== stored) return null;
  const low = view.getUint32(6, true);
  const high = view.getInt32(10, true);
  const granule = high === -1 && low === 0xffffffff ? -1 : high * 2 ** 32 + low;
  // A granule position no stream reaches (beyond 2^53, or negative other than "none") is kept
  // as NaN, so that the scan can say what is wrong with the page instead of calling it damaged.
  return {
    offset,
    flags: b[i + 5]!,
    granule: granule < -1 || granule > Number.MAX_SAFE_INTEGER ? Number.NaN : granule,
    serial: view.getUint32(14, true),
    sequence: view.getUint32(18, true),
    lacing: Uint8Array.from(lacing),
    bodyOffset: offset + HEADER + segments,
    length,
  };
}

function completedPackets(page: Page): number {
  let n = 0;
  for (const l of page.lacing) if (l < 255) n++;
  return n;
}

/** Reassembles packets from a page's lacing values; `skip` drops a packet continued from the previous page. */
class PacketAssembler {
  private parts: Uint8Array[] = [];
  private size = 0;

  constructor(private skipping: boolean) {}

  /** The packets that end on this page, in order. */
  add(page: Page, body: Uint8Array): Uint8Array[] {
    const done: Uint8Array[] = [];
    if (!(page.flags & CONTINUED)) {
      this.parts = [];
      this.size = 0;
      this.skipping = false;
    }
    let at = 0;
    for (const l of page.lacing) {
      if (!this.skipping) {
        this.parts.push(body.subarray(at, at + l));
        this.size += l;
        if (this.size > MAX_PACKET) throw new InputFileError(`Ogg packet larger than ${MAX_PACKET >> 20} MB (damaged stream)`);
      }
      at += l;
      if (l < 255) {
        if (!this.skipping) done.push(this.parts.length === 1 ? Uint8Array.from(this.parts[0]!) : Buffer.concat(this.parts));
        this.parts = [];
        this.size = 0;
        this.skipping = false;
      }
    }
    return done;
  }
}

interface OggScan {
  readonly codec: OggCodec;
  /** Pages of the stream: offset and granule position (carried over pages where none ends). */
  readonly pages: PositionIndex;
  /** The page holding the first audio packet, and how many packets end on it before that one. */
  readonly firstAudioPage: number;
  readonly headerPacketsOnIt: number;
  /** Granule position of the last page. */
  readonly lastGranule: number;
}

function unsupportedCodec(name: string): InputFileError {
  return new InputFileError(`${name} is not supported (tts-critic reads Ogg Vorbis and Ogg Opus); convert it to WAV or FLAC`);
}

async function scanPages(src: ByteSource, warnings: string[]): Promise<OggScan> {
  const window = new ReadWindow(src, SCAN_STEP + MAX_PAGE);
  const pages = new PositionIndex();
  let codec: OggCodec | null = null;
  let serial = -1;
  let assembler: PacketAssembler | null = null;
  let headers = 0;
  let firstAudioPage = -1;
  let headerPacketsOnIt = 0;
  let sequence = -1;
  let granule = -1;
  let ended = false;
  let unknown: string | null = null;
  let p = 0;
  while (p < src.size) {
    const b = await window.bytes(p, MAX_PAGE);
    const page = pageAt(b, 0, p);
    if (page === 'short') {
      if (!codec && pages.length === 0) throw new InputFileError(`header cut short: the file ends after ${src.size} bytes, inside the first Ogg page`);
      if (b.subarray(0, 4).toString('latin1') === 'OggS' || b.length < 4) {
        warnings.push(`the last Ogg page is cut short (${src.size - p} bytes); ignored`);
      } else {
        warnings.push(`ignored ${src.size - p} bytes after the last Ogg page that are not audio`);
      }
      break;
    }
    if (!page) {
      if (b.subarray(0, 4).toString('latin1') === 'OggS') throw new InputFileError(`damaged Ogg page at byte ${p} (its checksum does not match)`);
      if (await anotherPageAfter(window, src.size, p + 1)) throw new InputFileError(`damaged Ogg data at byte ${p} (not a page)`);
      warnings.push(`ignored ${src.size - p} bytes after the last Ogg page that are not audio`);
      break;
    }
    if (Number.isNaN(page.granule)) {
      const raw = new DataView(b.buffer, b.byteOffset, HEADER).getBigInt64(6, true);
      throw new InputFileError(`Ogg page at byte ${p} has granule position ${raw}, beyond any real stream (damaged or hostile file)`);
    }
    p += page.length;
    if (serial === -1) {
      if (!(page.flags & FIRST)) {
        // The first pages of a file start its streams; none of them was Vorbis or Opus.
        if (unknown) throw unsupportedCodec(unknown);
        throw new InputFileError('the Ogg stream does not begin with a first page (cut from a longer stream?)');
      }
      const body = b.subarray(page.length - sum(page.lacing), page.length);
      const firstPacket = body.subarray(0, firstPacketLength(page.lacing));
      codec = oggCodecFor(firstPacket);
      if (!codec) {
        unknown ??= oggCodecName(firstPacket);
        continue;
      }
      serial = page.serial;
      assembler = new PacketAssembler(false);
    }
    if (page.serial !== serial) {
      if (page.flags & FIRST && ended) {
        warnings.push('the file holds several Ogg streams one after another; only the first is read');
        break;
      }
      continue; // another stream multiplexed with this one
    }
    if (sequence !== -1 && page.sequence !== sequence + 1) {
      throw new InputFileError(`Ogg pages missing before byte ${page.offset} (page ${page.sequence} follows page ${sequence}; damaged stream)`);
    }
    sequence = page.sequence;
    const index = pages.length;
    if (headers < codec!.headerPackets) {
      const body = b.subarray(page.length - sum(page.lacing), page.length);
      const packets = assembler!.add(page, body);
      for (let k = 0; k < packets.length && headers < codec!.headerPackets; k++) {
        if (headers > 0) codec!.header(headers, packets[k]!);
        headers++;
        if (headers === codec!.headerPackets) {
          // Audio starts on a fresh page, but tolerate audio packets after the last header.
          const audioHere = k + 1 < packets.length || endsInsidePacket(page);
          firstAudioPage = audioHere ? index : index + 1;
          // A session starting on this page drops the packet continued into it by itself.
          headerPacketsOnIt = audioHere ? k + 1 - (page.flags & CONTINUED ? 1 : 0) : 0;
        }
      }
    }
    if (firstAudioPage !== -1 && index >= firstAudioPage && page.granule >= 0) {
      if (granule >= 0 && page.granule < granule) {
        throw new InputFileError(`Ogg granule positions go backwards at byte ${page.offset} (damaged stream)`);
      }
      if (granule >= 0 && page.granule - granule > completedPackets(page) * codec!.maxPacketSamples) {
        throw new InputFileError(`an Ogg page at byte ${page.offset} claims ${page.granule - granule} samples, more than its packets can hold (damaged stream)`);
      }
      granule = page.granule;
    }
    pages.push(page.offset, Math.max(granule, 0));
    if (page.flags & LAST) ended = true;
  }
  if (!codec) {
    if (unknown) throw unsupportedCodec(unknown);
    throw new InputFileError('no Ogg page found (not an Ogg file, or damaged)');
  }
  if (headers < codec.headerPackets) throw new InputFileError(`header cut short: the ${codec.codec} headers are incomplete`);
  if (firstAudioPage >= pages.length || granule < 0) throw new InputFileError('no audio packets after the headers');
  return { codec, pages, firstAudioPage, headerPacketsOnIt, lastGranule: granule };
}

/**
 * Bytes of the page's first packet: its lacing values up to the first one below 255 (an
 * OpusHead of mapping family 255 with many channels is longer than one 255-byte segment).
 */
function firstPacketLength(lacing: Uint8Array): number {
  let n = 0;
  for (const l of lacing) {
    n += l;
    if (l < 255) break;
  }
  return n;
}

/** Whether the page's last packet continues on the next page. */
function endsInsidePacket(page: Page): boolean {
  return page.lacing.length > 0 && page.lacing[page.lacing.length - 1] === 255;
}

function sum(lacing: Uint8Array): number {
  let s = 0;
  for (const l of lacing) s += l;
  return s;
}

/** Whether a valid page starts anywhere after `from`. */
async function anotherPageAfter(window: ReadWindow, size: number, from: number): Promise<boolean> {
  for (let base = from; base < size; base += SCAN_STEP) {
    const b = await window.bytes(base, SCAN_STEP + MAX_PAGE);
    const stop = Math.min(SCAN_STEP, b.length);
    for (let i = b.indexOf(0x4f); i >= 0 && i < stop; i = b.indexOf(0x4f, i + 1)) {
      const page = pageAt(b, i, base + i);
      if (page && page !== 'short') return true;
    }
    if (b.length < SCAN_STEP) break;
  }
  return false;
}

class OggSession implements DecodeSession {
  position = 0;
  /** Decoded position of the first buffered sample, once a page has told it. */
  private aligned: boolean;
  private buffered: Float32Array[] = [];
  private bufferedSamples = 0;
  private page: number;
  private skipPackets: number;
  private readonly assembler: PacketAssembler;
  private readonly window: ReadWindow;
  private decoder: PacketDecoder | null;
  /** Set by an alignment at open: the granule position of decoded sample 0. */
  startOffset: number;

  constructor(
    private readonly stream: OggStream,
    decoder: PacketDecoder,
    page: number,
    startOffset: number | null,
  ) {
    this.decoder = decoder;
    this.page = page;
    const { scan } = stream;
    this.skipPackets = page === scan.firstAudioPage ? scan.headerPacketsOnIt : 0;
    // Packets continued from the page before the first are incomplete: skip them.
    this.assembler = new PacketAssembler(true);
    this.window = new ReadWindow(stream.src, 1 << 18);
    // A decode from the first audio page starts at decoded position 0; any other aligns on a page.
    this.aligned = page === scan.firstAudioPage;
    this.startOffset = startOffset ?? Number.NaN;
  }

  private seconds(): string {
    return `${(Math.max(0, this.position + this.bufferedSamples - this.stream.delay) / this.stream.scan.codec.sampleRate).toFixed(2)} s`;
  }

  /** Decodes pages until the position of the buffered output is known; false when it cannot be. */
  async align(): Promise<boolean> {
    while (!this.aligned) {
      if (!(await this.decodePage())) return false;
    }
    return true;
  }

  decodeNextPage(): Promise<boolean> {
    return this.decodePage();
  }

  /**
   * Decodes the next page's packets into the buffer, aligning or checking positions. False at
   * the end of the stream, or on a last page that cannot align this decode.
   */
  private async decodePage(): Promise<boolean> {
    const { pages } = this.stream.scan;
    if (!this.decoder || this.page >= pages.length) return false;
    const offset = pages.offset(this.page);
    const b = await this.window.bytes(offset, MAX_PAGE);
    const page = pageAt(b, 0, offset);
    if (!page || page === 'short') throw new InputFileError(`Ogg page at byte ${offset} changed since the file was opened`);
    const isLast = this.page === pages.length - 1;
    this.page++;
    let packets = this.assembler.add(page, b.subarray(page.length - sum(page.lacing), page.length));
    if (this.skipPackets > 0) {
      packets = packets.slice(this.skipPackets);
      this.skipPackets = 0;
    }
    for (const packet of packets) {
      let samples: Float32Array;
      try {
        samples = this.decoder.decode(packet);
      } catch (error) {
        if (!(error instanceof PacketError)) throw error;
        const { codec } = this.stream.scan.codec;
        throw new InputFileError(`damaged ${codec === 'opus' ? 'Opus' : 'Vorbis'} packet at ${this.seconds()} (${error.message})`);
      }
      if (samples.length > 0) {
        this.buffered.push(samples);
        this.bufferedSamples += samples.length;
      }
    }
    if (page.granule < 0 || packets.length === 0) return true;
    if (Number.isNaN(this.startOffset)) {
      // The decode from the first audio page at open: its position is 0 by definition. On a
      // last page the granule position may trim the end, so it says nothing about the start.
      this.startOffset = isLast ? 0 : page.granule - this.bufferedSamples;
      if (isLast && page.granule > this.bufferedSamples) {
        throw new InputFileError(`the only Ogg page with a granule position claims ${page.granule} samples but its packets decode to ${this.bufferedSamples} (damaged stream)`);
      }
    } else if (!this.aligned) {
      if (isLast) return false; // cannot align on a trimmed page: the caller starts earlier
      this.position = page.granule - this.startOffset - this.bufferedSamples;
      this.aligned = true;
    } else if (!isLast && page.granule - this.startOffset !== this.position + this.bufferedSamples) {
      throw new InputFileError(`Ogg granule positions disagree with the decoded audio at ${this.seconds()} (damaged stream)`);
    }
    return true;
  }

  async next(): Promise<DecodedChunk | null> {
    while (this.bufferedSamples < CHUNK_SAMPLES) {
      if (!(await this.decodePage())) break;
    }
    if (this.bufferedSamples === 0) return null;
    const samples = this.buffered.length === 1 ? this.buffered[0]! : concat(this.buffered, this.bufferedSamples);
    const chunk = { position: this.position, samples };
    this.position += samples.length;
    this.buffered = [];
    this.bufferedSamples = 0;
    return chunk;
  }

  close(): void {
    this.decoder?.free();
    this.decoder = null;
  }
}

function concat(parts: Float32Array[], total: number): Float32Array {
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

class OggStream implements CodecStream {
  readonly exactRestarts: boolean;
  info!: AudioInfo;
  delay = 0;
  startOffset = 0;

  constructor(
    readonly src: ByteSource,
    readonly scan: OggScan,
  ) {
    this.exactRestarts = scan.codec.exactRestarts;
  }

  /** A session from page `page`, aligned (its `position` known), or null when it cannot align. */
  async sessionAt(page: number, startOffset: number | null): Promise<OggSession | null> {
    const session = new OggSession(this, await this.scan.codec.decoder(), page, startOffset);
    try {
      if (await session.align()) return session;
    } catch (error) {
      session.close();
      throw error;
    }
    session.close();
    return null;
  }

  async session(position: number): Promise<DecodeSession> {
    const { codec, pages, firstAudioPage } = this.scan;
    // Granule position from which the decode must run; the page before the start page must end
    // early enough that the packets continued into it and the priming one still fit.
    const from = position + this.startOffset - codec.preroll - 2 * codec.maxPacketSamples;
    let page = Math.max(firstAudioPage, pages.find(from) + 1);
    if (pages.position(page - 1) > from || page <= firstAudioPage) page = firstAudioPage;
    for (;;) {
      const session = await this.sessionAt(page, this.startOffset);
      if (session && (session.position <= position - codec.preroll || page === firstAudioPage)) return session;
      // Unusual paging (packets spanning pages, a last page reached before any other): start earlier.
      session?.close();
      page = Math.max(firstAudioPage, page - 8);
    }
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

/** Opens an Ogg Vorbis or Ogg Opus file. */
export async function openOgg(src: ByteSource, warnings: string[]): Promise<CodecStream> {
  const scan = await scanPages(src, warnings);
  const stream = new OggStream(src, scan);
  // Decode the first audio page to learn where the audio starts in granule positions.
  const first = new OggSession(stream, await scan.codec.decoder(), scan.firstAudioPage, null);
  let startOffset: number;
  try {
    while (Number.isNaN(first.startOffset)) {
      if (!(await first.decodeNextPage())) throw new InputFileError('no Ogg page with a granule position after the headers (damaged stream)');
    }
    startOffset = first.startOffset;
  } finally {
    first.close();
  }
  const { codec } = scan;
  const origin = codec.preSkip + Math.max(0, startOffset);
  stream.startOffset = startOffset;
  stream.delay = origin - startOffset;
  const frames = scan.lastGranule - origin;
  if (frames <= 0) throw new InputFileError(`no audio samples (the stream ends at granule position ${scan.lastGranule}, within the codec's pre-skip of ${origin})`);
  stream.info = { format: codec.format, codec: codec.codec, sampleRate: codec.sampleRate, channels: codec.channels, frames, warnings };
  return stream;
}
