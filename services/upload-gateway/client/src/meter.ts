// A live waveform of the microphone, with the background filled as loud as the voice is.

export type Meter = { stop(): void };

export function startMeter(stream: MediaStream, canvas: HTMLCanvasElement): Meter {
  const context = new AudioContext();
  void context.resume();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const graphics = canvas.getContext('2d');
  const style = getComputedStyle(canvas);
  const line = style.color;
  const fillColor = style.getPropertyValue('--meter-fill').trim() || 'rgba(0, 0, 0, 0.08)';
  let frame = 0;

  const draw = () => {
    frame = requestAnimationFrame(draw);
    if (!graphics) return;
    analyser.getByteTimeDomainData(samples);
    const { width, height } = canvas;
    let sum = 0;
    for (const sample of samples) sum += ((sample - 128) / 128) ** 2;
    const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    graphics.clearRect(0, 0, width, height);
    graphics.fillStyle = fillColor;
    graphics.fillRect(0, height * (1 - level), width, height * level);
    graphics.strokeStyle = line;
    graphics.lineWidth = 3;
    graphics.beginPath();
    samples.forEach((sample, i) => {
      const x = (i / (samples.length - 1)) * width;
      const y = (sample / 255) * height;
      if (i === 0) graphics.moveTo(x, y);
      else graphics.lineTo(x, y);
    });
    graphics.stroke();
  };
  draw();

  return {
    stop() {
      cancelAnimationFrame(frame);
      source.disconnect();
      void context.close();
    },
  };
}
