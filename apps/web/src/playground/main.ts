// The playground: pick a model and parameters, submit, follow the job's event stream, show the
// image, and list the tenant's recent jobs. Everything goes through the published SDK.

import { FlowfarmClient, FlowfarmError, type JobInput, type JobView, type ModelInfo } from '@flowfarm/client';
import { byId } from '../shared/dom.js';
import { bindKeyForm, localKeyStore } from '../shared/key-store.js';
import { renderGallery } from './gallery.js';
import { applyCreativeControls, bindCreativeControls, loadStyles } from './creative-controls.js';
import { fillModelControls } from './model-controls.js';
import { bindStartImage, startImageFields, useStartImage } from './start-image.js';
import { bindStages, stageFields } from './stages.js';
import { bindLayoutEditor, layoutFields, syncLayoutAspect } from './layout-editor.js';
import { bindUsageExport, renderUsage } from './usage-panel.js';
import { clearOutputs, renderOutputs, reportBrokenImage, showJobJson } from './job-result.js';

let client: FlowfarmClient | null = null;
let models: ModelInfo[] = [];
let following: AbortController | null = null;

const statusLine = byId('job-status');
const progressBar = byId<HTMLProgressElement>('job-progress');
const imageFrame = byId('job-image-frame');
const image = byId<HTMLImageElement>('job-image');
const formError = byId('form-error');
const cancelButton = byId<HTMLButtonElement>('cancel-job');
let current: JobView | null = null;

reportBrokenImage(image, 0);

function explain(error: unknown): string {
  if (error instanceof FlowfarmError) {
    if (error.status === 401) return 'The API key was not accepted.';
    const fields = error.problem?.errors?.map((field) => `${field.path}: ${field.message}`).join('; ');
    return fields ? `${error.message} — ${fields}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The layout canvas takes the image's aspect ratio. */
function syncAspect(): void {
  const size = (id: string) => Number(byId<HTMLSelectElement>(id).value) || undefined;
  syncLayoutAspect(size('width'), size('height'));
}

async function loadModels(): Promise<void> {
  if (!client) return;
  try {
    models = await client.models();
    fillModelControls(models);
    syncAspect();
    formError.textContent = models.length ? '' : 'No worker is serving a model right now.';
  } catch (error) {
    formError.textContent = explain(error);
  }
}

async function refreshGallery(): Promise<void> {
  if (!client) return;
  try {
    const page = await client.list({ limit: 12 });
    renderGallery(page.data);
  } catch (error) {
    formError.textContent = explain(error);
  }
}

function readInput(): JobInput {
  const numberOf = (id: string) => {
    const value = byId<HTMLInputElement | HTMLSelectElement>(id).value.trim();
    return value === '' ? undefined : Number(value);
  };
  return applyCreativeControls({
    prompt: byId<HTMLTextAreaElement>('prompt').value,
    model: byId<HTMLSelectElement>('model').value || undefined,
    width: numberOf('width'),
    height: numberOf('height'),
    steps: numberOf('steps'),
    seed: numberOf('seed'),
    ...schedulingInput(numberOf('start-timeout')),
    num_images: numberOf('num-images'),
    ...startImageFields(),
    ...stageFields(),
    ...layoutFields(),
  });
}

/** Priority and start timeout, when set. */
function schedulingInput(startTimeout: number | undefined): Pick<JobInput, 'priority' | 'start_timeout'> {
  const priority = byId<HTMLSelectElement>('priority').value as JobInput['priority'] | '';
  return { ...(priority ? { priority } : {}), ...(startTimeout === undefined ? {} : { start_timeout: startTimeout }) };
}

function showJob(job: Pick<JobView, 'status' | 'queue_position' | 'progress' | 'error' | 'moderation'>): void {
  cancelButton.hidden = job.status !== 'running' && job.status !== 'queued';
  progressBar.hidden = job.status !== 'running' && job.status !== 'queued';
  progressBar.max = Math.max(1, job.progress.total);
  progressBar.value = job.progress.step;
  if (job.status === 'queued') {
    statusLine.textContent = job.queue_position ? `Queued — ${job.queue_position} job(s) ahead` : 'Queued — next up';
  } else if (job.status === 'running') {
    statusLine.textContent = job.progress.total ? `Running — step ${job.progress.step} of ${job.progress.total}` : 'Running';
  } else if (job.status === 'succeeded') {
    statusLine.textContent = 'Done';
  } else if (job.status === 'moderated') {
    statusLine.textContent = `Moderated${job.moderation ? `: ${job.moderation.reason}` : ''}`;
  } else if (job.status === 'expired') {
    statusLine.textContent = 'Expired — not started before its start timeout';
  } else {
    statusLine.textContent = `${job.status === 'failed' ? 'Failed' : 'Canceled'}${job.error ? `: ${job.error.message}` : ''}`;
  }
}

async function follow(job: JobView): Promise<void> {
  following?.abort();
  const controller = new AbortController();
  following = controller;
  imageFrame.hidden = true;
  current = job;
  clearOutputs();
  showJobJson(job);
  showJob(job);
  let view = job;
  try {
    const finished = await client!.wait(job.id, {
      signal: controller.signal,
      onEvent: (event) => {
        view = { ...view, status: event.status, progress: event.progress ?? view.progress, error: event.error ?? view.error };
        if (event.status !== 'queued') view.queue_position = null;
        showJob(view);
      },
    });
    current = finished;
    showJob(finished);
    showJobJson(finished);
    renderOutputs(finished, {
      reuseSeed: (seed) => {
        byId<HTMLInputElement>('seed').value = String(seed);
        byId<HTMLTextAreaElement>('prompt').focus();
      },
      startFrom: (url, index) => useStartImage(url, `image ${index + 1} of ${finished.id}`),
    });
    // a prompt chain's final image is its last stage's
    const output = finished.input.stages ? finished.outputs.at(-1) : finished.outputs[0];
    if (finished.status === 'succeeded' && output) {
      image.src = output.url;
      image.width = output.width;
      imageFrame.hidden = false;
    }
    await refreshGallery();
    refreshUsage();
  } catch (error) {
    if (!controller.signal.aborted) statusLine.textContent = explain(error);
  }
}

byId<HTMLFormElement>('job-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!client) {
    formError.textContent = 'Enter an API key first.';
    return;
  }
  formError.textContent = '';
  const button = byId<HTMLButtonElement>('generate');
  button.disabled = true;
  client
    .submit(readInput())
    .then((job) => {
      void refreshGallery();
      return follow(job);
    })
    .catch((error: unknown) => {
      formError.textContent = explain(error);
    })
    .finally(() => {
      button.disabled = false;
    });
});

cancelButton.addEventListener('click', () => {
  if (!client || !current) return;
  cancelButton.disabled = true;
  client
    .cancel(current.id)
    .catch((error: unknown) => {
      formError.textContent = explain(error);
    })
    .finally(() => {
      cancelButton.disabled = false;
    });
});

bindCreativeControls();
bindStages();
bindLayoutEditor((message) => {
  formError.textContent = message;
});
for (const id of ['width', 'height', 'model']) byId(id).addEventListener('change', syncAspect);
bindStartImage((message) => {
  formError.textContent = message;
});
bindUsageExport(() => client, (error) => (formError.textContent = explain(error)));
const refreshUsage = () => {
  if (client) renderUsage(client).catch((error: unknown) => (formError.textContent = explain(error)));
};
byId('refresh-gallery').addEventListener('click', () => void refreshGallery());

bindKeyForm(localKeyStore('apiKey'), 'api-key', (key) => {
  following?.abort();
  client = key ? new FlowfarmClient({ baseUrl: window.location.origin, apiKey: key }) : null;
  if (client) {
    void loadModels();
    loadStyles(client).catch((error: unknown) => {
      formError.textContent = explain(error);
    });
    void refreshGallery();
    refreshUsage();
  } else {
    renderGallery([]);
  }
});
