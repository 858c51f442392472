/**
 * A command line the CLI cannot run: an unknown command or option, a missing or malformed value. The CLI
 * prints its one-line message and the command's usage, and exits with code 1.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage is printed with the message. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}
