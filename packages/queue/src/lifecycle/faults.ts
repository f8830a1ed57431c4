// Test-only crash points (FLOWFARM_FAULT). A process started with one kills itself with SIGKILL
// when it reaches that step, so a test can show that a crash at every step of submit, start and
// finish loses nothing and doubles nothing (test/farm/crash-window.test.ts). Never set in production.

export const FAULT_POINTS = [
  /** API: the record and its BullMQ token are written (one script); the client has no answer yet. */
  'submit:after-record',
  /** Worker: the job is marked running (and held by this worker), nothing rendered yet. */
  'start:after-mark',
  /** Worker: the outputs are stored, the record does not say succeeded yet. */
  'finish:before-record',
  /** Worker: the record says succeeded; neither the notifier nor BullMQ has been told. */
  'finish:after-record',
  /** Worker, prompt chaining: a stage's output is stored, the record does not say the stage is done yet. */
  'stage:before-record',
  /** Worker, prompt chaining: the stage is recorded (job queued for the next), its token not dispatched yet. */
  'stage:after-record',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Dies like a crash (no cleanup, no drain) when `point` is the configured fault. */
export function crashAt(configured: FaultPoint | undefined, point: FaultPoint): void {
  if (configured !== point) return;
  process.stderr.write(`FLOWFARM_FAULT: crashing at ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
  // the signal is delivered on the way out of the system call: never run past the crash point
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
}
