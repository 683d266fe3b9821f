// Speech-like test signals for the benchmarks, generated (never downloaded).

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * A voiced, syllabic signal: a harmonic source with a drifting pitch, shaped by two moving
 * formant-like resonators, gated into syllables, plus breath noise. `variant` perturbs pitch,
 * formants and noise the way a vocoder's output differs from the recording.
 */
export function speechLike(seconds, rate, seed, variant = 0) {
  const n = Math.round(seconds * rate);
  const random = lcg(seed);
  const noise = lcg(seed * 7 + 1 + variant);
  const x = new Float32Array(n);
  const f0Base = 90 + 120 * random();
  const syllable = 3 + 2 * random();
  let phase = 0;
  const resonators = [
    { f: 500 + 300 * random(), y1: 0, y2: 0 },
    { f: 1400 + 800 * random(), y1: 0, y2: 0 },
  ];
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const f0 = f0Base * (1 + 0.15 * Math.sin(2 * Math.PI * 0.7 * t) + 0.02 * variant * Math.sin(2 * Math.PI * 5 * t));
    phase += (2 * Math.PI * f0) / rate;
    let source = 0;
    for (let h = 1; h <= 12; h++) source += Math.sin(h * phase) / h;
    let y = 0;
    for (const r of resonators) {
      const f = r.f * (1 + 0.1 * Math.sin(2 * Math.PI * 1.3 * t) + 0.03 * variant);
      const radius = 0.97;
      const a1 = 2 * radius * Math.cos((2 * Math.PI * f) / rate);
      const out = 0.05 * source + a1 * r.y1 - radius * radius * r.y2;
      r.y2 = r.y1;
      r.y1 = out;
      y += out;
    }
    const gate = Math.max(0, Math.sin(Math.PI * syllable * t)) ** 2;
    x[i] = 0.25 * Math.tanh(y * gate) + (0.004 + 0.004 * variant) * (noise() - 0.5);
  }
  return x;
}
