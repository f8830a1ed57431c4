/** A request the model can never serve as given (bad size, steps, prompt…): do not retry. */
export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
}

/** A model folder that cannot be used: missing file, bad manifest, misnamed tensor, unsupported dtype. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** The rejection of a generation whose AbortSignal fired (checked between steps). */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error(reason instanceof Error ? reason.message : 'generation aborted');
  err.name = 'AbortError';
  return err;
}
