// The Video tab: camera preview, record, play back, record again or another; switch between cameras
// when there are several; background blur where the browser really blurs (not on phones).
import { BlurPipeline, blurAvailable } from './blur.ts';
import { type PanelController, required, show } from './dom.ts';
import type { Page } from './page.ts';
import { canRecord, stopTracks } from './recorder.ts';
import { Takes } from './take.ts';

export function setupVideo(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const takes = new Takes(panel, page, 'video');
  const { record, stop, rerecord, another, playback } = takes;
  const camera = required<HTMLButtonElement>(panel, '[data-action="camera"]');
  const switchCamera = required<HTMLButtonElement>(panel, '[data-action="switch"]');
  const blurOption = required<HTMLLabelElement>(panel, '[data-option="blur"]');
  const blurToggle = required<HTMLInputElement>(panel, '[data-action="blur"]');
  const preview = required<HTMLVideoElement>(panel, 'video.preview');
  const blurred = required<HTMLCanvasElement>(panel, 'canvas.blurred');

  let stream: MediaStream | undefined;
  let cameras: MediaDeviceInfo[] = [];
  let cameraIndex = 0;
  let blur: BlurPipeline | undefined;
  let blurLoading: Promise<BlurPipeline> | undefined;
  /** The blurred canvas's track while it is being recorded. */
  let canvasTrack: MediaStreamTrack | undefined;

  const showBlurred = (on: boolean) => {
    blurred.hidden = !on;
    preview.classList.toggle('source', on);
  };

  const release = () => {
    blur?.stop();
    stopTracks(stream);
    stream = undefined;
    preview.srcObject = null;
    takes.stopClock();
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
    takes.discard();
    show([preview, record], [camera, playback, rerecord, another, stop]);
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
    if (!takes.start(source, () => void finish())) {
      canvasTrack?.stop();
      canvasTrack = undefined;
      return;
    }
    blurToggle.disabled = true;
    switchCamera.disabled = true;
  };

  const finish = async () => {
    if (!(await takes.finish())) return;
    canvasTrack?.stop();
    canvasTrack = undefined;
    release();
    blurToggle.disabled = false;
    switchCamera.disabled = false;
    // The take plays back where the preview was.
    showBlurred(false);
    show([], [preview, switchCamera, blurOption]);
  };

  camera.addEventListener('click', () => void turnOn());
  rerecord.addEventListener('click', () => void turnOn());
  another.addEventListener('click', () => void turnOn());
  record.addEventListener('click', start);
  stop.addEventListener('click', () => void finish());
  switchCamera.addEventListener('click', () => void nextCamera());
  blurToggle.addEventListener('change', () => {
    if (blurToggle.checked) void enableBlur();
    else disableBlur();
  });

  return {
    deactivate: () => {
      if (takes.running) void finish();
      else if (stream) {
        // Leaving the tab turns the camera off; coming back shows the button again.
        release();
        showBlurred(false);
        if (!takes.result) show([camera], [preview, record, switchCamera, blurOption]);
      }
    },
    release,
  };
}
