// The 44-byte header of a 16-bit PCM WAV file, for the benchmarks and tests that write long
// files a piece at a time (the header first, then the samples) instead of building them whole.

/** The RIFF/WAVE header of `dataBytes` bytes of 16-bit PCM with `channels` interleaved channels. */
export function pcm16WavHeader(sampleRate, channels, dataBytes) {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
