/**
 * Log-energy envelopes for finding a constant delay between two recordings of the same speech.
 * An envelope follows syllables and pauses, which survive what vocoders change (phase, fine
 * pitch structure), so it can be cross-correlated where waveforms cannot.
 *
 * The envelope has one value per block of about 1 ms: the log of the energy of the 20 ms frame
 * starting at that block (a 20 ms frame spans two to eight pitch periods, so single glottal
 * pulses do not make it ripple). Values are computed while the signal streams past in chunks,
 * so only the envelope is held: 4 bytes per millisecond, 7 MB for 30 minutes.
 */
import { pause } from '../util/yield.js';
import type { SignalSource } from './signal.js';

/** Envelope frames are this many blocks long (20 ms). */
export const FRAME_BLOCKS = 20;
/**
 * Energies more than 50 dB below the signal's mean frame energy are raised to that floor:
 * background noise in pauses carries no timing, and digital silence would give log(0).
 */
export const FLOOR_RATIO = 1e-5;
/** Samples read per step: bounds the memory of the pass whatever the signal's length. */
const CHUNK_BLOCKS = 4096;

/** Samples per envelope block at `rate`: about 1 ms (32 at 32 kHz, 22 at 22.05 kHz). */
export function blockSize(rate: number): number {
  return Math.max(1, Math.round(rate / 1000));
}

/**
 * The log-energy envelope of `source` in blocks of `block` samples: value k is
 * log(energy of samples [k·block, (k + FRAME_BLOCKS)·block) + floor). A signal shorter than one
 * frame gives an empty envelope.
 */
export async function logEnergyEnvelope(source: SignalSource, block: number): Promise<Float32Array> {
  const blocks = Math.floor(source.length / block);
  const frames = Math.max(0, blocks - FRAME_BLOCKS + 1);
  const energy = new Float32Array(frames);
  const recent = new Float64Array(FRAME_BLOCKS); // the last FRAME_BLOCKS block energies, as a ring
  let total = 0;
  for (let first = 0; first < blocks; first += CHUNK_BLOCKS) {
    const count = Math.min(CHUNK_BLOCKS, blocks - first);
    await pause();
    const samples = await source.read(first * block, count * block);
    for (let b = 0; b < count; b++) {
      let e = 0;
      for (let i = b * block, end = i + block; i < end; i++) e += samples[i]! * samples[i]!;
      const index = first + b;
      recent[index % FRAME_BLOCKS] = e;
      const frame = index - FRAME_BLOCKS + 1;
      if (frame >= 0) {
        // Summed afresh (20 additions) rather than as a running sum, which would drift.
        let sum = 0;
        for (let j = 0; j < FRAME_BLOCKS; j++) sum += recent[j]!;
        energy[frame] = sum;
        total += sum;
      }
    }
  }
  const floor = frames > 0 && total > 0 ? (FLOOR_RATIO * total) / frames : Number.MIN_VALUE;
  for (let k = 0; k < frames; k++) energy[k] = Math.log(energy[k]! + floor);
  return energy;
}
