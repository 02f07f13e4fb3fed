// The Audio tab: record with a live waveform, stop, listen back, record again or another.
import { type PanelController, required } from './dom.ts';
import { type Meter, startMeter } from './meter.ts';
import type { Page } from './page.ts';
import { canRecord, stopTracks } from './recorder.ts';
import { Takes } from './take.ts';

export function setupAudio(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const takes = new Takes(panel, page, 'audio');
  const canvas = required<HTMLCanvasElement>(panel, 'canvas');

  let stream: MediaStream | undefined;
  let meter: Meter | undefined;

  const release = () => {
    meter?.stop();
    meter = undefined;
    stopTracks(stream);
    stream = undefined;
    takes.stopClock();
  };

  const start = async () => {
    page.clearError();
    if (!canRecord()) {
      page.showError(t.notSupported);
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch {
      page.showError(t.micUnavailable);
      return;
    }
    takes.discard();
    meter = startMeter(stream, canvas);
    if (!takes.start(stream, () => void finish())) release();
  };

  const finish = async () => {
    if (await takes.finish()) release();
  };

  takes.record.addEventListener('click', () => void start());
  takes.rerecord.addEventListener('click', () => void start());
  takes.another.addEventListener('click', () => void start());
  takes.stop.addEventListener('click', () => void finish());

  return {
    deactivate: () => void finish(),
    release,
  };
}
