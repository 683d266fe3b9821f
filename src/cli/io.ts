/** The streams a command talks to; injectable so commands can be tested in-process. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadableStream;
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** Writes one `tts-critic: ...` line to stderr. */
export function say(io: CliIO, message: string): void {
  io.stderr.write(`tts-critic: ${message}\n`);
}
