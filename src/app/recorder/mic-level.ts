/**
 * The microphone's level for the meter beside the preview: an AnalyserNode's RMS over the last
 * few milliseconds, read ten times a second (enough for a meter; a per-frame loop would keep the
 * main thread busy for nothing).
 */
export class MicLevel {
  /** 0..1, roughly perceptual (square root of RMS). */
  level = 0;
  private ctx: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly onChange: () => void) {}

  attach(track: MediaStreamTrack | null): void {
    this.detach();
    if (!track || typeof AudioContext === 'undefined') return;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    this.ctx = ctx;
    this.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const next = Math.min(1, Math.sqrt(Math.sqrt(sum / buf.length)) * 1.6);
      if (Math.abs(next - this.level) > 0.01) {
        this.level = next;
        this.onChange();
      }
    }, 100);
    // Chromium starts an AudioContext suspended until a user gesture; a meter may start before one.
    void ctx.resume().catch(() => {});
  }

  detach(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
    this.level = 0;
  }
}
