import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import { resolveAutoShard, withShard } from '../../src/pipeline/shard.js';

/** [what, flag value, environment, expected index/count] */
const TABLE: [string, string, Record<string, string>, string][] = [
  ['Slurm 0-3, task 0', 'auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_STEP: '1' }, '1/4'],
  ['Slurm 0-3, task 3', 'auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' }, '4/4'],
  ['Slurm from 1', 'auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' }, '1/8'],
  ['Slurm with a step', 'auto', { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '5' }, '4/5'],
  ['Slurm count only', 'auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' }, '3/3'],
  ['Slurm with a matching auto/N', 'auto/4', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' }, '4/4'],
  ['SGE 1-10', 'auto', { SGE_TASK_ID: '10', SGE_TASK_FIRST: '1', SGE_TASK_LAST: '10', SGE_TASK_STEPSIZE: '1' }, '10/10'],
  ['SGE with a step', 'auto', { SGE_TASK_ID: '5', SGE_TASK_FIRST: '1', SGE_TASK_LAST: '9', SGE_TASK_STEPSIZE: '4' }, '2/3'],
  ['LSF 1-6', 'auto', { LSB_JOBINDEX: '2', LSB_JOBINDEX_END: '6' }, '2/6'],
  ['LSF with a step', 'auto', { LSB_JOBINDEX: '5', LSB_JOBINDEX_END: '9', LSB_JOBINDEX_STEP: '2' }, '3/5'],
  ['PBS Pro, range as given to qsub -J', 'auto/1-8', { PBS_ARRAY_INDEX: '8' }, '8/8'],
  ['PBS Pro, range with a step', 'auto/0-10:5', { PBS_ARRAY_INDEX: '5' }, '2/3'],
  ['PBS Pro, auto/N counts from 0', 'auto/4', { PBS_ARRAY_INDEX: '0' }, '1/4'],
  ['TORQUE', 'auto/0-3', { PBS_ARRAYID: '3' }, '4/4'],
  ['Kubernetes Indexed Job', 'auto/5', { JOB_COMPLETION_INDEX: '4' }, '5/5'],
  ['SGE outside an array job (undefined) falls through to Kubernetes', 'auto/2', { SGE_TASK_ID: 'undefined', JOB_COMPLETION_INDEX: '1' }, '2/2'],
  ['LSF outside an array job (index 0) falls through', 'auto/2', { LSB_JOBINDEX: '0', JOB_COMPLETION_INDEX: '0' }, '1/2'],
];

describe('--shard auto', () => {
  for (const [what, flag, env, expected] of TABLE) {
    it(`${what}: ${flag} → ${expected}`, () => {
      const shard = resolveAutoShard(flag, env)!;
      expect(`${shard.index}/${shard.count}`).toBe(expected);
    });
  }

  it('is not involved for I/N', () => {
    expect(resolveAutoShard('2/4', { SLURM_ARRAY_TASK_ID: '1' })).toBeNull();
  });

  const ERRORS: [string, string, Record<string, string>, RegExp][] = [
    ['nothing says which task', 'auto', {}, /nothing in the environment says which task of a job array this is/],
    ['Kubernetes without a count', 'auto', { JOB_COMPLETION_INDEX: '0' }, /Kubernetes does not say how many there are; give --shard auto\/N/],
    ['PBS without a range', 'auto', { PBS_ARRAY_INDEX: '3' }, /give --shard auto\/FIRST-LAST as given to qsub -J/],
    ['an index outside the range', 'auto/4', { JOB_COMPLETION_INDEX: '4' }, /not one of the array's indices 0-3/],
    ['an index off the step', 'auto/1-9:2', { PBS_ARRAY_INDEX: '4' }, /not one of the array's indices 1-9:2/],
    ['a Slurm list, not a range', 'auto', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_COUNT: '3' }, /not a range/],
    ['a range that disagrees with Slurm', 'auto/1-8', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' }, /Slurm array is 0-3, not 1-8/],
    ['a count that disagrees with Slurm', 'auto/8', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }, /Slurm array is 0-3, not 0-7/],
    ['a garbled index', 'auto', { SLURM_ARRAY_TASK_ID: 'x' }, /SLURM_ARRAY_TASK_ID is "x", not an array index/],
    ['a bad auto form', 'auto/0', {}, /auto\/N must be at least 1/],
  ];
  for (const [what, flag, env, message] of ERRORS) {
    it(`refuses ${what}`, () => {
      expect(() => resolveAutoShard(flag, env)).toThrow(UsageError);
      expect(() => resolveAutoShard(flag, env)).toThrow(message);
    });
  }
});

describe('{shard} in -o', () => {
  it('becomes the shard number', () => {
    expect(withShard('out/scores.{shard}.jsonl', { index: 3, count: 4 })).toBe('out/scores.3.jsonl');
    expect(withShard('scores.jsonl', null)).toBe('scores.jsonl');
  });
  it('needs a --shard', () => {
    expect(() => withShard('scores.{shard}.jsonl', null)).toThrow(/no --shard was given/);
  });
});
