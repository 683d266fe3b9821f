/** Golden parity of every checkpoint format and family through the library API. */
import { createScorer } from '../../src/index.js';
import { CHECKPOINT_CASES, expectGoldenResult, goldenCase } from '../helpers/golden.js';

test.each(CHECKPOINT_CASES)('%s: whole-file scores match PyTorch', async (name) => {
  const golden = goldenCase(name);
  // Golden values are for the files as they are: alignment pinned off (it finds 0 on them anyway).
  const scorer = await createScorer({ weights: golden.checkpoint!, segment: 0, align: 'none' });
  try {
    expect(scorer.model.weights).toBe('checkpoint');
    expect(scorer.model.sampleRate).toBe(golden.expected.sample_rate);
    expect(scorer.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    const result = await scorer.scoreFiles(golden.ref, golden.syn);
    expect(result.sampleRate).toBe(golden.expected.sample_rate);
    expectGoldenResult(result, golden);
  } finally {
    await scorer.dispose();
  }
});
