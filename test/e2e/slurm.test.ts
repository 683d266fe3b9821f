/**
 * The Slurm workflow as users run it: a one-node Slurm cluster (Debian's slurm-wlm and munge,
 * installed by .ci/system-packages) runs examples/slurm/score-array.sbatch as an array job
 * (`sbatch --wait --array=0-3`) over a small corpus; `merge` combines the four shards; every
 * file's scores equal those of one unsharded run. The cluster lives in a temp folder: its own
 * slurm.conf (proctrack/linuxproc and task/none, so no cgroups or systemd are needed), munge
 * key and socket, state and logs; munged, slurmctld and slurmd are started here, in the
 * foreground, and stopped by their process ids.
 *
 * Needs root (slurmd runs jobs as the submitting user and must be able to) and the Slurm and
 * munge programs. Outside CI, without them, the test says what is missing and is skipped;
 * under CI=true a missing prerequisite fails it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/golden.js';
import { cli, expectSameRecords, parseCsvText, parseJsonlText, pipelineFolder, removeDir, scoreJsonl, type Corpus } from '../helpers/pipeline-fixtures.js';

const PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'];

/** What keeps the test from running here, or null. */
function missing(): string | null {
  if (process.platform !== 'linux') return 'Linux';
  if (process.getuid?.() !== 0) return 'root (slurmd must be able to run jobs as their user)';
  const absent = PROGRAMS.filter((program) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status !== 0);
  return absent.length > 0 ? `${absent.join(', ')} (Debian: apt-get install slurm-wlm munge, or run \`npm run setup\` as root)` : null;
}

const lacking = missing();
if (lacking && process.env['CI'] === 'true') throw new Error(`the Slurm array test needs ${lacking}`);
if (lacking) console.warn(`skipping the Slurm array test: it needs ${lacking}`);
const maybe = lacking ? describe.skip : describe;

maybe('Slurm job array', () => {
  let corpus: Corpus;
  let dir: string;
  const daemons: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;

  const logs = (): string =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.log') || name.endsWith('.out'))
      .map((name) => `--- ${name}\n${readFileSync(path.join(dir, name), 'utf8').slice(-2000)}`)
      .join('\n');

  /** Starts a daemon in the foreground, its output in DIR/<name>.out. */
  const start = (name: string, args: string[]): void => {
    const out = path.join(dir, `${name}.out`);
    const child = spawn(name, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    child.on('exit', () => writeFileSync(out, text));
    daemons.push(child);
  };

  const waitFor = async (what: string, check: () => boolean, ms = 30_000): Promise<void> => {
    const until = Date.now() + ms;
    while (!check()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  beforeAll(async () => {
    corpus = await pipelineFolder('slurm', { count: 8 });
    dir = path.join(corpus.root, 'cluster');
    mkdirSync(path.join(dir, 'state'), { recursive: true });
    mkdirSync(path.join(dir, 'spool'), { recursive: true });
    const key = path.join(dir, 'munge.key');
    writeFileSync(key, randomBytes(1024));
    chmodSync(key, 0o400);
    const socket = path.join(dir, 'munge.sock');
    const node = hostname().split('.')[0]!;
    // Ports of our own, away from a real cluster's 6817/6818.
    const port = 20000 + (process.pid % 20000);
    writeFileSync(
      path.join(dir, 'slurm.conf'),
      [
        'ClusterName=ttscritictest',
        `SlurmctldHost=${node}(127.0.0.1)`,
        `SlurmctldPort=${port}`,
        `SlurmdPort=${port + 1}`,
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${socket}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'SchedulerType=sched/builtin',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'MpiDefault=none',
        'ReturnToService=2',
        `StateSaveLocation=${dir}/state`,
        `SlurmdSpoolDir=${dir}/spool`,
        `SlurmctldPidFile=${dir}/slurmctld.pid`,
        `SlurmdPidFile=${dir}/slurmd.pid`,
        `SlurmctldLogFile=${dir}/slurmctld.log`,
        `SlurmdLogFile=${dir}/slurmd.log`,
        // The machine's own CPU count (slurmd refuses a node that claims more); tasks of one CPU
        // each share them: the test is about scheduling, not speed.
        `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} State=UNKNOWN`,
        'PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4',
        '',
      ].join('\n'),
    );
    env = { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf') };
    start('munged', ['--foreground', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${dir}/munged.pid`, `--seed-file=${dir}/munged.seed`, `--log-file=${dir}/munged.log`]);
    await waitFor('munged', () => readdirSync(dir).includes('munge.sock'));
    start('slurmctld', ['-D', '-i']);
    start('slurmd', ['-D', '-N', node]);
    await waitFor('the node to be idle', () => spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim() === 'idle');
  }, 90_000);

  afterAll(async () => {
    // Stopped by their process ids, the last started first.
    for (const child of [...daemons].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir(corpus?.root);
  }, 60_000);

  test('sbatch --wait --array=0-3 of the example script, then merge: the scores of one unsharded run', async () => {
    const single = (await scoreJsonl(corpus.root)).records;
    const script = path.join(REPO_ROOT, 'examples', 'slurm', 'score-array.sbatch');
    const submit = spawnSync(
      'sbatch',
      ['--wait', '--array=0-3', '--cpus-per-task=1', '--mem=0', `--output=${dir}/task-%a.out`, script, '-w', 'D.pth'],
      {
        cwd: corpus.root,
        env: { ...env, REF_DIR: 'ref', SYN_DIR: 'syn', OUT_DIR: 'scores', TTS_CRITIC: `${process.execPath} ${CLI}` },
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    if (submit.status !== 0) throw new Error(`sbatch exited ${submit.status}: ${submit.stdout}${submit.stderr}\n${logs()}`);
    const shards = readdirSync(path.join(corpus.root, 'scores')).sort();
    expect(shards).toEqual(['scores.1.jsonl', 'scores.2.jsonl', 'scores.3.jsonl', 'scores.4.jsonl']);
    // Every task scored its own, non-overlapping part.
    const parts = shards.map((file) => parseJsonlText(readFileSync(path.join(corpus.root, 'scores', file), 'utf8')));
    expect(parts.reduce((n, part) => n + part.length, 0)).toBe(single.length);
    const merged = await cli(corpus.root, ['merge', ...shards.map((file) => path.join('scores', file)), '-q']);
    expect(merged.code).toBe(0);
    expectSameRecords(parseCsvText(merged.stdout), single);
  }, 300_000);
});
