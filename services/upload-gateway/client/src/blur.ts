// Background blur: each camera frame goes through MediaPipe's selfie segmentation (script, wasm
// and model served from our own origin) and is drawn into a canvas, person sharp, background
// blurred. The canvas's captureStream() is what gets recorded while blur is on.

type SegmentationResults = { image: CanvasImageSource; segmentationMask: CanvasImageSource };

type SelfieSegmentation = {
  setOptions(options: { modelSelection?: number; selfieMode?: boolean }): void;
  onResults(listener: (results: SegmentationResults) => void): void;
  initialize(): Promise<void>;
  send(inputs: { image: HTMLVideoElement }): Promise<void>;
  close(): Promise<void>;
};

type SelfieSegmentationClass = new (config: { locateFile: (file: string) => string }) => SelfieSegmentation;

declare global {
  interface Window {
    SelfieSegmentation?: SelfieSegmentationClass;
  }
}

let library: Promise<SelfieSegmentationClass> | undefined;

/** Loads MediaPipe's script once (about 45 kB; it then fetches its wasm and model). */
function loadLibrary(base: string): Promise<SelfieSegmentationClass> {
  library ??= new Promise<SelfieSegmentationClass>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${base}selfie_segmentation.js`;
    script.addEventListener('load', () => {
      if (window.SelfieSegmentation) resolve(window.SelfieSegmentation);
      else reject(new Error('selfie_segmentation.js defined no SelfieSegmentation'));
    });
    script.addEventListener('error', () => reject(new Error('selfie_segmentation.js did not load')));
    document.head.append(script);
  }).catch((error: unknown) => {
    library = undefined;
    throw error;
  });
  return library;
}

/**
 * Offered only where it really hides the background: the canvas can be recorded, its `filter`
 * really blurs (WebKit has no canvas filter, and a scaled-up copy did not hide enough), and the
 * device has cores to spare for the segmentation. Not on phones, whatever their pointer: the
 * model drains their battery and heats them, and a phone's camera is usually held up close.
 * (The pointer was asked before: headless and touch-screen desktops have none that is fine.)
 */
export function blurAvailable(): boolean {
  return (
    typeof HTMLCanvasElement.prototype.captureStream === 'function' &&
    navigator.hardwareConcurrency >= 2 &&
    !isPhone() &&
    canvasFilterBlurs()
  );
}

/** A phone's browser, as it says itself: every phone browser's user agent has "Mobi" in it. */
function isPhone(): boolean {
  return /Mobi/.test(navigator.userAgent);
}

/** Draws one dot through `filter: blur()`: a pixel beside it gets some of it only when the filter works. */
function canvasFilterBlurs(): boolean {
  const canvas = document.createElement('canvas');
  canvas.width = 9;
  canvas.height = 9;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g || !('filter' in g)) return false;
  g.filter = 'blur(2px)';
  g.fillStyle = '#000';
  g.fillRect(4, 4, 1, 1);
  const alphaBeside = g.getImageData(2, 4, 1, 1).data[3] ?? 0;
  return alphaBeside > 0;
}

export class BlurPipeline {
  private readonly segmentation: SelfieSegmentation;
  private readonly canvas: HTMLCanvasElement;
  private readonly graphics: CanvasRenderingContext2D;
  private video: HTMLVideoElement | undefined;
  private running = false;
  private frames = 0;

  private constructor(segmentation: SelfieSegmentation, canvas: HTMLCanvasElement) {
    this.segmentation = segmentation;
    this.canvas = canvas;
    const graphics = canvas.getContext('2d');
    if (!graphics) throw new Error('no 2d canvas');
    this.graphics = graphics;
    segmentation.onResults((results) => this.draw(results));
  }

  static async create(base: string, canvas: HTMLCanvasElement): Promise<BlurPipeline> {
    const SelfieSegmentationClass = await loadLibrary(base);
    const segmentation = new SelfieSegmentationClass({ locateFile: (file) => `${base}${file}` });
    // The landscape model: made for video calls, faster than the general one.
    segmentation.setOptions({ modelSelection: 1, selfieMode: false });
    await segmentation.initialize();
    return new BlurPipeline(segmentation, canvas);
  }

  /** The canvas as a 30 fps video track, for recording. */
  captureTrack(): MediaStreamTrack | undefined {
    return this.canvas.captureStream(30).getVideoTracks()[0];
  }

  start(video: HTMLVideoElement): void {
    this.video = video;
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
  }

  private schedule(): void {
    const video = this.video;
    if (!this.running || !video) return;
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => void this.process());
    else requestAnimationFrame(() => void this.process());
  }

  private async process(): Promise<void> {
    const video = this.video;
    if (!this.running || !video) return;
    try {
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0) {
        await this.segmentation.send({ image: video });
      }
    } catch {
      // A frame that fails is skipped; the next one is tried.
    }
    this.schedule();
  }

  private draw({ image, segmentationMask }: SegmentationResults): void {
    const video = this.video;
    if (!video) return;
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const g = this.graphics;
    g.save();
    g.globalCompositeOperation = 'copy';
    g.drawImage(segmentationMask, 0, 0, width, height);
    g.globalCompositeOperation = 'source-in';
    g.drawImage(image, 0, 0, width, height);
    g.globalCompositeOperation = 'destination-over';
    const radius = Math.round(width / 60);
    g.filter = `blur(${radius}px)`;
    // Drawn a little larger, so the blur does not pull transparent edges in.
    g.drawImage(image, -2 * radius, -2 * radius, width + 4 * radius, height + 4 * radius);
    g.restore();
    this.frames++;
    // How many frames went through the segmentation: visible to tests and to curious developers.
    this.canvas.dataset.segmentedFrames = String(this.frames);
  }
}
