/**
 * Compressed fixtures, made at test time: generated speech (bench/speech.mjs) written as WAV
 * and encoded with Debian's encoders (flac, lame, oggenc from vorbis-tools, opusenc from
 * opus-tools; `.ci/system-packages` installs them). Nothing binary is committed.
 *
 * Without the encoders the tests that need them are skipped with a note, except under CI=true,
 * where they fail (CI must run them).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { speechLike } from '../../bench/speech.mjs';
import { pcm16WavHeader } from '../../bench/wav-header.mjs';

export type Encoding = 'flac' | 'mp3' | 'vorbis' | 'opus';
export const ENCODINGS: readonly Encoding[] = ['flac', 'mp3', 'vorbis', 'opus'];
export const EXTENSION: Record<Encoding, string> = { flac: 'flac', mp3: 'mp3', vorbis: 'ogg', opus: 'opus' };
/** The `*_format` column value of each. */
export const FORMAT: Record<Encoding, string> = { flac: 'flac', mp3: 'mp3', vorbis: 'ogg-vorbis', opus: 'ogg-opus' };

const TOOLS: Record<Encoding, string> = { flac: 'flac', mp3: 'lame', vorbis: 'oggenc', opus: 'opusenc' };

function missingTools(): string[] {
  return Object.values(TOOLS).filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * True when every encoder is installed. Otherwise false with a note (the caller skips), or an
 * error under CI=true.
 */
export function encodersAvailable(): boolean {
  const missing = missingTools();
  if (missing.length === 0) return true;
  const note = `audio encoders missing (${missing.join(', ')}): install flac, lame, vorbis-tools and opus-tools (npm run setup)`;
  if (process.env.CI === 'true') throw new Error(note);
  console.warn(`${note}; skipping the tests that need them`);
  return false;
}

/** 16-bit PCM WAV bytes of interleaved integer samples. */
export function pcm16Wav(samples: Int16Array, sampleRate: number, channels: number): Buffer {
  const bytes = samples.length * 2;
  return Buffer.concat([pcm16WavHeader(sampleRate, channels, bytes), Buffer.from(samples.buffer, samples.byteOffset, bytes)]);
}

/**
 * Speech-like 16-bit samples (interleaved; channel c uses variant c, so stereo channels differ).
 * `variant` shifts all channels, the way a vocoder's output differs from the recording.
 */
export function speechSamples(seconds: number, sampleRate: number, channels: number, seed: number, variant = 0): Int16Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Int16Array(n * channels);
  for (let c = 0; c < channels; c++) {
    const x = speechLike(seconds, sampleRate, seed, variant + c);
    for (let i = 0; i < n; i++) out[i * channels + c] = Math.max(-32768, Math.min(32767, Math.round(x[i]! * 2 * 32767)));
  }
  return out;
}

export interface SpeechWav {
  seconds: number;
  sampleRate: number;
  channels: number;
  seed: number;
  variant?: number;
}

/** Writes a speech WAV to `file` (folders made as needed). */
export function writeSpeechWav(file: string, spec: SpeechWav): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, pcm16Wav(speechSamples(spec.seconds, spec.sampleRate, spec.channels, spec.seed, spec.variant), spec.sampleRate, spec.channels));
}

/**
 * Encodes `wav` to `out` at high quality: FLAC default level, MP3 320 kbit/s CBR, Vorbis q8
 * (~256 kbit/s stereo), Opus 160 kbit/s. `extra` adds encoder flags.
 */
export function encode(encoding: Encoding, wav: string, out: string, extra: readonly string[] = []): void {
  mkdirSync(path.dirname(out), { recursive: true });
  const args: Record<Encoding, string[]> = {
    flac: ['--silent', '--force', ...extra, '-o', out, wav],
    mp3: ['--quiet', '-b', '320', ...extra, wav, out],
    vorbis: ['--quiet', '-q', '8', ...extra, '-o', out, wav],
    opus: ['--quiet', '--bitrate', '160', ...extra, wav, out],
  };
  execFileSync(TOOLS[encoding], args[encoding], { stdio: ['ignore', 'ignore', 'pipe'] });
}
