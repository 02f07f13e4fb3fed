// MediaRecorder with the format the browser supports: WebM (Chrome, Firefox, Edge) or MP4
// (Safari). Recording stops by itself just before the policy's size limit.
import { resolveMediaType } from '@uplink/contracts/media-types';
import { addWebmDuration } from './webm-duration.ts';

const CANDIDATES = {
  audio: ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus'],
  video: ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'],
} as const;

export type RecordingKind = keyof typeof CANDIDATES;

/**
 * Video without sound (a screen recorded without the microphone). Naming an audio codec for a
 * stream that has no audio makes Firefox's recorder start, then produce nothing and never stop.
 */
const SILENT_VIDEO = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm', 'video/mp4'] as const;

export function canRecord(): boolean {
  return typeof MediaRecorder === 'function' && Boolean(navigator.mediaDevices?.getUserMedia);
}

function pickMimeType(kind: RecordingKind, stream: MediaStream): string | undefined {
  const silent = kind === 'video' && stream.getAudioTracks().length === 0;
  const candidates: readonly string[] = silent ? SILENT_VIDEO : CANDIDATES[kind];
  return candidates.find((type) => MediaRecorder.isTypeSupported(type));
}

/** The file extension the seed list gives a recorded type: webm, m4a, mp4, ogg. */
export function extensionFor(contentType: string, kind: RecordingKind): string {
  return resolveMediaType(contentType, '', [kind])?.type.extensions[0] ?? (kind === 'audio' ? 'webm' : 'mp4');
}

export type Recording = {
  readonly startedAt: number;
  /** Ends the recording; resolves with everything recorded. */
  stop(): Promise<Blob>;
};

export function startRecording(
  stream: MediaStream,
  kind: RecordingKind,
  maxBytes: number,
  onLimit: () => void,
): Recording {
  const mimeType = pickMimeType(kind, stream);
  const recorder = new MediaRecorder(stream, {
    ...(mimeType ? { mimeType } : {}),
    audioBitsPerSecond: kind === 'audio' ? 96_000 : 64_000,
    ...(kind === 'video' ? { videoBitsPerSecond: 1_000_000 } : {}),
  });
  const chunks: Blob[] = [];
  let bytes = 0;
  let limitHit = false;
  let startedAt = performance.now();
  recorder.addEventListener('start', () => {
    startedAt = performance.now();
  });
  const stopped = new Promise<Blob>((resolve) => {
    recorder.addEventListener('stop', () => {
      const recorded = new Blob(chunks, { type: recorder.mimeType || mimeType || `${kind}/webm` });
      resolve(addWebmDuration(recorded, performance.now() - startedAt).catch(() => recorded));
    });
  });
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data.size === 0) return;
    chunks.push(event.data);
    bytes += event.data.size;
    // Stop with room for the last chunk, which arrives after stop().
    if (!limitHit && bytes > maxBytes * 0.95) {
      limitHit = true;
      onLimit();
    }
  });
  recorder.start(1000);
  return {
    startedAt: Date.now(),
    stop() {
      if (recorder.state !== 'inactive') recorder.stop();
      return stopped;
    },
  };
}

/** `voice-message-2025-03-14-0930.webm`, in the customer's local time. */
export function recordingName(base: string, contentType: string, kind: RecordingKind): string {
  const now = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}`;
  return `${base}-${stamp}.${extensionFor(contentType, kind)}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function stopTracks(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
