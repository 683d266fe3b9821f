/**
 * The command-line program: commander definitions, flag parsing and validation, and the
 * mapping of errors to exit codes. Commands themselves live in *-command.ts.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CheckpointError, UsageError, isError, messageOf } from '../errors.js';
import { DEVICES, parseDevice } from '../engine/providers.js';
import { DEFAULT_FAMILY, FAMILIES, familyNames } from '../model/index.js';
import { ZOO } from '../model/zoo.js';
import { ALIGN_MODES } from '../pipeline/pair-audio.js';
import { DEFAULT_ALIGN, DEFAULT_MAX_OFFSET_SECONDS, DEFAULT_SEGMENT_SECONDS, LOSS_MODES } from '../pipeline/scorer.js';
import { DEFAULT_MAX_DURATION } from '../audio/limits.js';
import { REPORT_FORMATS } from '../report/index.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { processIO, say, type CliIO } from './io.js';
import { COMPARE_FORMATS, compareCommand, type CompareFlags } from './compare-command.js';
import { mergeCommand, type MergeFlags } from './merge-command.js';
import { reportCommand, type ReportFlags } from './report-command.js';
import { scoreCommand, type ScoreFlags } from './score-command.js';

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*[+-]?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}.`);
    }
    return n;
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected 0 (whole files) or a positive number of seconds.');
  return n;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return n;
}

function device(value: string) {
  try {
    return parseDevice(value);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * For options naming a file, folder, model or shard: an empty value (`--weights "$UNSET"` in a
 * CI script) is refused instead of silently meaning "option not given".
 */
function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a value, got an empty string.');
  return value;
}

const MAX_REGRESSION_HELP = 'allowed worsening per file vs --baseline, in percent: "5" or "fm=5,mel_l1=10" (default 5 for fm and mel_l1)';
const REGRESSION_TEST_HELP =
  'with --baseline: fail when a metric\'s mean got worse by more than --min-effect and the Wilcoxon signed-rank test says so at --alpha (per-file --max-regression then only applies when given)';
const ALPHA_HELP = 'significance level of --regression-test (default 0.01)';
const MIN_EFFECT_HELP = 'smallest worsening of a mean, in percent, that --regression-test fails on (default 1)';

function probability(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError('expected a number between 0 and 1 (exclusive).');
  return n;
}

function percentAtLeastZero(value: string): number {
  const n = Number(value.trim().replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a percent (a number ≥ 0).');
  return n;
}

const WORST_HELP = 'how many worst files the summary and the HTML report show (default 5)';
const HTML_ROWS_HELP = 'most files the HTML page lists (default 20000): beyond that, the worst by each metric, the first failures and a fixed sample; statistics and plots always cover every file';
const WORST_BY_HELP = 'metric column the worst files are ranked by (default fm, or gen without a reference)';

function formatOption(fallback: string): Option {
  return new Option(
    '--format <format>',
    `output format: csv, json, jsonl (scores), html, junit, markdown (views) (default: from the -o extension .csv .json .jsonl .html .xml .md, else ${fallback})`,
  ).choices(REPORT_FORMATS);
}

const EXIT_CODES_HELP = `
Exit codes:
  0  every pair scored and every gate passed
  1  a --fail-if gate failed, a file regressed beyond --max-regression, or --regression-test failed
  2  usage or configuration error (bad flag, unreadable checkpoint, no pairs)
  3  scoring finished, but some files failed or had no partner
  130 / 143  interrupted by SIGINT / SIGTERM (finished records were written)
  141  the reader of stdout went away (e.g. | head)`;

const SCORE_EXAMPLES = `
Examples:
  tts-critic score refs/ outputs/                       untrained ${DEFAULT_FAMILY} discriminators, CSV on stdout
  tts-critic score refs/ outputs/ --weights D_2333.pth -o scores.jsonl
  tts-critic score refs/ outputs/ --model gpt-sovits-v2 --fail-if "mean(fm) > 0.3"
  find out -name '*.wav' | awk '{print "ref/"$0","$0}' | tts-critic score --pairs -
  tts-critic score --syn-only outputs/ --weights s2D488k.pth

Files pair by relative path without extension: refs/a/b.wav <-> outputs/a/b.wav.
Families: ${familyNames().join(', ')} (detected from a checkpoint).
Zoo models (--model): ${ZOO.map((m) => m.name).join(', ')}.
${EXIT_CODES_HELP}`;

export function buildProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('tts-critic')
    .description('Score synthesized speech against reference recordings with GAN discriminators (GPT-SoVITS, VITS, so-vits-svc, HiFi-GAN, BigVGAN).')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  program
    .command('score')
    .description('score every pair of files in REF_DIR and SYN_DIR (or a --pairs manifest, or --syn-only DIR)')
    .argument('[REF_DIR]', 'folder of reference recordings')
    .argument('[SYN_DIR]', 'folder of synthesized files with the same relative names')
    .option('-w, --weights <file>', 'discriminator checkpoint (.pth, .pt, .safetensors, HiFi-GAN do_*); default: untrained weights', nonEmpty)
    .option('-m, --model <name>', `published discriminator, downloaded once into the cache (${ZOO.map((m) => m.name).join(', ')})`, nonEmpty)
    .option('-f, --family <name>', `discriminator family (${familyNames().join(', ')}); default: detected from the checkpoint, else ${DEFAULT_FAMILY}`, nonEmpty)
    .option('--seed <n>', 'base seed of the untrained weights', integer(0, 0xffffffff))
    .option('--sample-rate <hz>', 'rate the networks see (RVC: 32000, 40000 or 48000); default: the checkpoint metadata or training config beside it, else the family\'s', integer(4000, 384000))
    .option('--segment <seconds>', `window length in seconds; 0 scores whole files in one window (default ${DEFAULT_SEGMENT_SECONDS})`, seconds)
    .addOption(
      new Option('--align <mode>', `offset: find and remove one constant delay per pair before scoring; none: compare the files as they are (default ${DEFAULT_ALIGN})`).choices(
        ALIGN_MODES,
      ),
    )
    .option('--max-offset <seconds>', `largest delay --align offset searches, either way (default ${DEFAULT_MAX_OFFSET_SECONDS})`, positiveSeconds)
    .addOption(
      new Option(
        '--loss <kind>',
        "standard: fm, gen, real, fake, disc, one definition for every family (default); native: also the family's own training losses (hinge, TPRLS, feature-loss scaling) as native_<name> columns",
      ).choices(LOSS_MODES),
    )
    .option('--max-duration <seconds>', `refuse (as an error row) files that decode to more than this (default ${DEFAULT_MAX_DURATION}, 4 hours)`, positiveSeconds)
    .addOption(formatOption('csv'))
    .option('-o, --output <file>', 'write the report to FILE (atomically) instead of stdout', nonEmpty)
    .option('--layers', 'add per-layer feature distances as CSV columns fm_<sub>_<i>')
    .option('--fail-if <expr>', 'fail (exit 1) when EXPR holds, e.g. "fm > 0.4", "mean(fm) > 0.3", "p95(mel_l1) > 2" (repeatable)', collect)
    .option('--baseline <file>', 'compare with an earlier report (csv, json or jsonl)', nonEmpty)
    .option('--max-regression <spec>', MAX_REGRESSION_HELP)
    .option('--regression-test', REGRESSION_TEST_HELP)
    .option('--alpha <p>', ALPHA_HELP, probability)
    .option('--min-effect <percent>', MIN_EFFECT_HELP, percentAtLeastZero)
    .option('--worst <n>', WORST_HELP, integer(0, 10000))
    .option('--worst-by <column>', WORST_BY_HELP, nonEmpty)
    .option('--html-rows <n>', HTML_ROWS_HELP, integer(1))
    .option('--pairs <file>', 'score the pairs listed in FILE (CSV or JSONL with ref,syn columns; "-" reads stdin)', nonEmpty)
    .option('--syn-only <dir>', 'reference-free: score the synthesized files of DIR alone (gen and fake only)', nonEmpty)
    .option(
      '--shard <i/n>',
      'score only shard I of N (1-based), chosen by a stable hash of each pair; combine with `merge`. `auto` takes it from a job array (Slurm, Grid Engine, LSF; PBS and Kubernetes Indexed Jobs with auto/N); -o and --resume may contain {shard}',
      nonEmpty,
    )
    .option('--resume <file>', 'skip pairs already scored in FILE (a previous, interrupted report) and keep their records', nonEmpty)
    .option('--batch-size <n>', 'most windows per engine call (default: 1 on CPU; on a GPU as many as fit --batch-memory)', integer(1))
    .option('--batch-memory <MiB>', 'GPU memory for one engine call\'s feature maps (default 2048)', integer(1))
    .option('--threads <n>', 'CPU threads for the engine (default: one per core)', integer(1, 1024))
    .addOption(
      new Option(
        '--device <device>',
        'where to run: cpu, webgpu (a GPU through Vulkan), cuda, auto (the first GPU that starts, else cpu), or webgpu-software (a software renderer such as lavapipe: slow, for tests)',
      )
        .default('cpu')
        .argParser(device),
    )
    .option('--cache-dir <dir>', 'cache of zoo models and optimized sessions (default: $TTS_CRITIC_CACHE, $XDG_CACHE_HOME/tts-critic or ~/.cache/tts-critic)', nonEmpty)
    .option('--offline', 'never download: use only cached zoo models')
    .option('-q, --quiet', 'no progress, notices or summary on stderr (errors and failed gates still print)')
    .option('--debug', 'show stack traces for unexpected errors')
    .addHelpText('after', SCORE_EXAMPLES)
    .action(async (refDir: string | undefined, synDir: string | undefined, flags: ScoreFlags) => {
      setExitCode(await scoreCommand(refDir, synDir, flags, io));
    });

  const combine = (name: string, description: string, defaultFormat: 'csv' | 'html') =>
    program
      .command(name)
      .description(description)
      .argument('<files...>', 'score files (csv, json, jsonl; e.g. the shards of a --shard run)')
      .addOption(formatOption(defaultFormat))
      .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout', nonEmpty)
      .option('--fail-if <expr>', 'gate on the combined result, as for score (repeatable)', collect)
      .option('--baseline <file>', 'compare with an earlier report (csv, json or jsonl)', nonEmpty)
      .option('--max-regression <spec>', MAX_REGRESSION_HELP)
      .option('--regression-test', REGRESSION_TEST_HELP)
      .option('--alpha <p>', ALPHA_HELP, probability)
      .option('--min-effect <percent>', MIN_EFFECT_HELP, percentAtLeastZero)
      .option('--worst <n>', WORST_HELP, integer(0, 10000))
      .option('--worst-by <column>', WORST_BY_HELP, nonEmpty)
      .option('--html-rows <n>', HTML_ROWS_HELP, integer(1))
      .option('-q, --quiet', 'no summary on stderr')
      .option('--debug', 'show stack traces for unexpected errors')
      .addHelpText('after', EXIT_CODES_HELP)
      .action(async (files: string[], flags: ReportFlags) => {
        setExitCode(await (name === 'merge' ? mergeCommand(files, flags as MergeFlags, io) : reportCommand(files, flags, io, defaultFormat)));
      });
  combine('merge', 'combine reports (e.g. the shards of a --shard run; any mix of csv, json, jsonl) into one', 'csv');
  combine('report', 'make the HTML report (or any format) from saved scores: tts-critic report scores.jsonl -o report.html', 'html');

  program
    .command('compare')
    .description('which system is better, and is it real: paired statistics of several reports of the same files')
    .argument('<files...>', 'one report per system (csv, json or jsonl scores), at least two')
    .option('--names <a,b,...>', 'one name per report (default: the file names)', nonEmpty)
    .option('--metric <m,...>', 'metrics to compare (default: those of fm, mel_l1, mel_dtw, gen every report has)', nonEmpty)
    .option('--reference <name>', 'compare each system with this one only (default: every pair)', nonEmpty)
    .option('--alpha <p>', 'significance level for the ranking and the verdicts (default 0.05)', probability)
    .option('--resamples <n>', 'bootstrap resamples per interval (default 10000)', integer(1, 1_000_000))
    .option('--seed <n>', 'seed of the bootstrap (default 0)', integer(0, 0xffffffff))
    .addOption(new Option('--format <format>', 'text (a table, default), csv, json, markdown or html (default: from the -o extension)').choices(COMPARE_FORMATS))
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout; the table still goes to stderr', nonEmpty)
    .option('-q, --quiet', 'nothing on stderr but errors')
    .option('--debug', 'show stack traces for unexpected errors')
    .addHelpText(
      'after',
      `
Examples:
  tts-critic compare v1.jsonl v2.jsonl
  tts-critic compare a.jsonl b.jsonl c.jsonl --names base,ft,distilled --metric fm,mel_dtw -o compare.html
  tts-critic compare base.jsonl x.jsonl y.jsonl --reference base --format markdown

Files pair by their key (the syn path), else by a ref path unique in its report.
Exit codes: 0 compared, 2 usage error (including reports scored with different models).`,
    )
    .action(async (files: string[], flags: CompareFlags) => {
      setExitCode(await compareCommand(files, flags, io));
    });

  program
    .command('families')
    .description('list the discriminator families and their sub-discriminators')
    .action(() => {
      for (const f of FAMILIES) {
        io.stdout.write(`${f.name.padEnd(18)} ${f.description}\n${''.padEnd(18)} subs: ${f.subs.map((s) => s.name).join(' ')}\n`);
      }
    });

  program
    .command('models')
    .description('list the published discriminators that --model can download')
    .action(() => {
      const width = Math.max(...ZOO.map((m) => m.name.length)) + 1;
      for (const m of ZOO) io.stdout.write(`${m.name.padEnd(width)} ${m.family.padEnd(18)} ${(m.bytes === null ? '?' : `${(m.bytes / 1e6).toFixed(0)} MB`).padStart(7)}  ${m.description}\n`);
    });

  program.addHelpText(
    'after',
    `\nExample:\n  tts-critic score refs/ outputs/ --weights D_2333.pth -o scores.csv\n\n` +
      `Devices: ${DEVICES.join(', ')}. Run \`tts-critic score --help\` for the scoring options.\n${EXIT_CODES_HELP}`,
  );
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = EXIT.OK;
  const debug = argv.includes('--debug');
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length === 0) {
      // Usage error (exit 2): the help goes to stderr, so that `tts-critic > out.csv` stays clean.
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every parse error is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof UsageError || error instanceof CheckpointError) {
      say(io, `error: ${messageOf(error)}`);
      if (debug && isError(error)) io.stderr.write(`${error.stack}\n`);
      return EXIT.USAGE;
    }
    say(io, `internal error: ${messageOf(error)}${debug ? '' : ' (run with --debug for details)'}`);
    if (debug && isError(error)) io.stderr.write(`${error.stack}\n`);
    return EXIT.USAGE;
  }
}
