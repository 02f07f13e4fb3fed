// The Video tab: camera preview, record, play back, record again, send; switch between cameras
// when there are several; background blur on desktop.
import { fill } from '../../src/page/format.ts';
import { BlurPipeline, blurAvailable } from './blur.ts';
import { type PanelController, required, show } from './dom.ts';
import type { Page } from './page.ts';
import {
  canRecord,
  formatDuration,
  type Recording,
  recordingName,
  startRecording,
  stopTracks,
} from './recorder.ts';

export function setupVideo(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const camera = required<HTMLButtonElement>(panel, '[data-action="camera"]');
  const record = required<HTMLButtonElement>(panel, '[data-action="record"]');
  const stop = required<HTMLButtonElement>(panel, '[data-action="stop"]');
  const rerecord = required<HTMLButtonElement>(panel, '[data-action="rerecord"]');
  const send = required<HTMLButtonElement>(panel, '[data-action="send"]');
  const switchCamera = required<HTMLButtonElement>(panel, '[data-action="switch"]');
  const blurOption = required<HTMLLabelElement>(panel, '[data-option="blur"]');
  const blurToggle = required<HTMLInputElement>(panel, '[data-action="blur"]');
  const preview = required<HTMLVideoElement>(panel, 'video.preview');
  const blurred = required<HTMLCanvasElement>(panel, 'canvas.blurred');
  const playback = required<HTMLVideoElement>(panel, 'video.playback');
  const time = required<HTMLElement>(panel, '.time');
  const limit = page.config.limits.video ?? 0;

  let stream: MediaStream | undefined;
  let cameras: MediaDeviceInfo[] = [];
  let cameraIndex = 0;
  let blur: BlurPipeline | undefined;
  let blurLoading: Promise<BlurPipeline> | undefined;
  let recording: Recording | undefined;
  /** The blurred canvas's track while it is being recorded. */
  let canvasTrack: MediaStreamTrack | undefined;
  let timer = 0;
  let result: Blob | undefined;

  const showBlurred = (on: boolean) => {
    blurred.hidden = !on;
    preview.classList.toggle('source', on);
  };

  const release = () => {
    blur?.stop();
    stopTracks(stream);
    stream = undefined;
    preview.srcObject = null;
    clearInterval(timer);
  };

  const openCamera = async (deviceId?: string): Promise<boolean> => {
    const video: MediaTrackConstraints = deviceId
      ? { deviceId: { exact: deviceId } }
      : { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } };
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: { echoCancellation: true } });
    } catch {
      page.showError(t.cameraUnavailable);
      return false;
    }
    preview.srcObject = stream;
    const facing = stream.getVideoTracks()[0]?.getSettings().facingMode;
    preview.classList.toggle('mirrored', facing !== 'environment');
    blurred.classList.toggle('mirrored', facing !== 'environment');
    await preview.play().catch(() => {});
    return true;
  };

  const turnOn = async () => {
    page.clearError();
    if (!canRecord()) {
      page.showError(t.notSupported);
      return;
    }
    if (!(await openCamera(cameras[cameraIndex]?.deviceId))) return;
    // Labels and ids are only listed once the customer has allowed a camera.
    cameras = (await navigator.mediaDevices.enumerateDevices()).filter(
      (device) => device.kind === 'videoinput',
    );
    switchCamera.hidden = cameras.length < 2;
    blurOption.hidden = !blurAvailable();
    if (blurToggle.checked) await enableBlur();
    if (playback.src) URL.revokeObjectURL(playback.src);
    playback.removeAttribute('src');
    result = undefined;
    show([preview, record], [camera, playback, rerecord, send, stop]);
    record.focus();
    page.announce(t.cameraOn);
  };

  const enableBlur = async () => {
    if (!stream) return;
    page.announce(t.blurLoading);
    blurToggle.disabled = true;
    try {
      blurLoading ??= BlurPipeline.create(page.config.segmentationBase, blurred);
      blur = await blurLoading;
      blur.start(preview);
      showBlurred(true);
      page.announce(t.blurOn);
    } catch {
      blurLoading = undefined;
      blurToggle.checked = false;
      blurOption.hidden = true;
      page.showError(t.blurFailed);
    } finally {
      blurToggle.disabled = false;
    }
  };

  const disableBlur = () => {
    blur?.stop();
    showBlurred(false);
    page.announce(t.blurOff);
  };

  const nextCamera = async () => {
    if (cameras.length < 2) return;
    cameraIndex = (cameraIndex + 1) % cameras.length;
    stopTracks(stream);
    if (await openCamera(cameras[cameraIndex]?.deviceId)) page.announce(t.cameraSwitched);
  };

  const start = () => {
    if (!stream) return;
    page.clearError();
    const audio = stream.getAudioTracks();
    canvasTrack = blurToggle.checked ? blur?.captureTrack() : undefined;
    const source = canvasTrack ? new MediaStream([canvasTrack, ...audio]) : stream;
    recording = startRecording(source, 'video', limit, () => {
      page.announce(t.limitReached);
      void finish();
    });
    const startedAt = recording.startedAt;
    time.textContent = '0:00';
    timer = window.setInterval(() => {
      time.textContent = formatDuration(Date.now() - startedAt);
    }, 250);
    blurToggle.disabled = true;
    switchCamera.disabled = true;
    panel.classList.add('recording');
    show([stop], [record]);
    stop.focus();
    page.announce(t.recording);
  };

  const finish = async () => {
    if (!recording) return;
    const current = recording;
    recording = undefined;
    const blob = await current.stop();
    const duration = formatDuration(Date.now() - current.startedAt);
    canvasTrack?.stop();
    canvasTrack = undefined;
    release();
    panel.classList.remove('recording');
    blurToggle.disabled = false;
    switchCamera.disabled = false;
    result = blob;
    playback.src = URL.createObjectURL(blob);
    showBlurred(false);
    show([playback, rerecord, send], [preview, stop, record, switchCamera]);
    blurOption.hidden = true;
    send.focus();
    page.announce(fill(t.recordingStopped, { duration }));
  };

  camera.addEventListener('click', () => void turnOn());
  rerecord.addEventListener('click', () => void turnOn());
  record.addEventListener('click', start);
  stop.addEventListener('click', () => void finish());
  switchCamera.addEventListener('click', () => void nextCamera());
  blurToggle.addEventListener('change', () => {
    if (blurToggle.checked) void enableBlur();
    else disableBlur();
  });
  send.addEventListener('click', () => {
    if (!result) return;
    const contentType = result.type;
    void page.send(
      result,
      { fileName: recordingName(t.recordingNames.video, contentType, 'video'), contentType, kind: 'video' },
      send,
    );
  });

  return {
    deactivate: () => {
      if (recording) void finish();
      else if (stream) {
        // Leaving the tab turns the camera off; coming back shows the button again.
        release();
        showBlurred(false);
        if (!result) show([camera], [preview, record, switchCamera, blurOption]);
      }
    },
    release,
  };
}
