// Shows a farm job's life on stderr: queue position, then steps, as one redrawn line on a
// terminal or one line per change otherwise (logs, CI, tests).

import type { JobEvent } from '@flowfarm/client';

export class ProgressReporter {
  private lastLine = '';
  private readonly tty: boolean;
  private readonly quiet: boolean;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    options: { quiet?: boolean } = {},
  ) {
    this.tty = out.isTTY === true;
    this.quiet = options.quiet ?? false;
  }

  queued(id: string, position: number | null): void {
    this.show(`job ${id} queued${position === null ? '' : `, position ${position + 1} in queue`}`);
  }

  event(event: JobEvent): void {
    if (event.type === 'job.started') this.show(`running (attempt ${event.attempt ?? 1})`);
    else if (event.type === 'job.progress' && event.progress) this.step(event.progress.step, event.progress.total);
    // job.queued is already on screen from the submit answer (with the queue position).
  }

  done(): void {
    if (this.tty && !this.quiet && this.lastLine) this.out.write('\r\x1b[K');
    this.lastLine = '';
  }

  private step(step: number, total: number): void {
    const width = 24;
    const filled = total > 0 ? Math.round((step / total) * width) : 0;
    this.show(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${step}/${total}`);
  }

  private show(line: string): void {
    if (this.quiet || line === this.lastLine) return;
    this.lastLine = line;
    this.out.write(this.tty ? `\r\x1b[K${line}` : `${line}\n`);
  }
}
