/**
 * The worst files' media for the HTML report: links relative to the report's folder (encoded),
 * spectrograms of at most the first seconds, one colour scale per pair, and a message rather
 * than a failure for files that are gone or cannot be decoded.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { relativeHref, worstFileMedia } from '../../src/pipeline/report-media.js';
import { distort, referenceSignal, wavBytes } from '../helpers/pipeline-fixtures.js';
import { removeDir, tempDir } from '../helpers/temp.js';

function pngSize(uri: string): [number, number] {
  const png = PNG.sync.read(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return [png.width, png.height];
}

describe('relativeHref', () => {
  it('climbs out of the report folder and percent-encodes each segment', () => {
    expect(relativeHref('/data/run/out', '/data/run/syn/a b#1?.wav')).toBe('../syn/a%20b%231%3F.wav');
    expect(relativeHref('/data/run', '/data/run/syn/100%.wav')).toBe('syn/100%25.wav');
  });
});

describe('worstFileMedia', () => {
  it('links and spectrograms for good files, messages for missing and broken ones', async () => {
    const root = tempDir('media');
    try {
      mkdirSync(path.join(root, 'ref'));
      mkdirSync(path.join(root, 'syn'));
      mkdirSync(path.join(root, 'out'));
      // 1.5 s, of which the spectrogram covers the first second: 50 mel frames of 640 samples at 32 kHz.
      const reference = referenceSignal(24000, 1);
      writeFileSync(path.join(root, 'ref', 'a.wav'), wavBytes(reference));
      writeFileSync(path.join(root, 'syn', 'a.wav'), wavBytes(distort(reference, 0.05, 2)));
      writeFileSync(path.join(root, 'syn', 'broken.wav'), Buffer.from('not audio'));
      writeFileSync(path.join(root, 'syn', 'short.wav'), wavBytes(reference.subarray(0, 300)));
      const media = await worstFileMedia(
        [
          { ref: 'ref/a.wav', syn: 'syn/a.wav', value: 1 },
          { ref: 'ref/gone.wav', syn: 'syn/broken.wav', value: 0.5 },
          { ref: '', syn: 'syn/short.wav', value: 0.1 },
        ],
        { reportDir: path.join(root, 'out'), cwd: root, maxSeconds: 1 },
      );
      const good = media.get('syn/a.wav')!;
      expect(good.ref!.href).toBe('../ref/a.wav');
      expect(good.syn!.href).toBe('../syn/a.wav');
      expect(pngSize(good.ref!.spectrogram!)).toEqual([50, 128]);
      expect(pngSize(good.syn!.spectrogram!)).toEqual([50, 128]);
      expect(good.ref!.spectrogram).not.toBe(good.syn!.spectrogram);
      const bad = media.get('syn/broken.wav')!;
      expect(bad.ref).toEqual({ href: null, spectrogram: null, problem: expect.stringMatching(/^ref\/gone\.wav not found/) });
      expect(bad.syn).toEqual({ href: '../syn/broken.wav', spectrogram: null, problem: expect.stringMatching(/^no spectrogram: not an audio file/) });
      // A reference-free entry; 300 samples are too few for the mel's reflect padding.
      expect(media.get('syn/short.wav')).toEqual({ ref: null, syn: { href: '../syn/short.wav', spectrogram: null, problem: 'too short for a spectrogram' } });
    } finally {
      removeDir(root);
    }
  });
});
