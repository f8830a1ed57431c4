import { projectScene, ValidationError, type JobInput, type Layout } from '@flowfarm/contracts';

/**
 * The layout a job renders with: its `layout`, or its `scene` projected through the scene's
 * camera at the job's size. Throws ValidationError (422, field paths) for both at once or a
 * scene object the camera cannot see.
 */
export function layoutOfJob(input: JobInput, width: number, height: number): Layout | undefined {
  if (input.layout && input.scene) {
    throw new ValidationError([{ path: 'scene', message: 'give either layout or scene, not both', code: 'conflicting_fields' }]);
  }
  if (input.layout) return input.layout;
  if (!input.scene) return undefined;
  const projected = projectScene(input.scene, width, height);
  if (projected.errors) throw new ValidationError(projected.errors);
  return projected.layout;
}
