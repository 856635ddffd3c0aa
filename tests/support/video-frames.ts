/**
 * Decoded frames of a recorded file, through Debian's ffmpeg/ffprobe: the test looks at the
 * picture the file really contains (e.g. the camera bubble), not at what the page drew.
 */
import { execFileSync } from 'node:child_process';

export interface Frame {
  width: number;
  height: number;
  /** RGB24, row-major. */
  rgb: Buffer;
}

export function videoSize(file: string): { width: number; height: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const [width, height] = out.trim().split(',').map(Number);
  return { width: width!, height: height! };
}

/**
 * The frame at `seconds`, or with 'last' the last frame. MediaRecorder's WebM has no Cues, so
 * seeking reads from the start; that is fine for a few seconds of video.
 */
export function frameAt(file: string, at: number | 'last'): Frame {
  const { width, height } = videoSize(file);
  // 'last': two frames a second to a pipe, keep the last (-sseof needs a duration the file may lack).
  const pick = at === 'last' ? ['-i', file, '-vf', 'fps=2'] : ['-i', file, '-ss', String(at), '-frames:v', '1'];
  const rgb = execFileSync('ffmpeg', ['-v', 'error', ...pick, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 256 * 1024 * 1024 });
  const size = width * height * 3;
  return { width, height, rgb: rgb.subarray(rgb.length - size) };
}

export function pixel(f: Frame, x: number, y: number): [number, number, number] {
  const o = (Math.round(y) * f.width + Math.round(x)) * 3;
  return [f.rgb[o]!, f.rgb[o + 1]!, f.rgb[o + 2]!];
}

/**
 * Share of `samples` points on a circle of radius `r` around (cx, cy) that are near white — the
 * bubble's ring. The fake camera and fake screen are both green, so white there is the bubble.
 */
export function whiteRingScore(f: Frame, cx: number, cy: number, r: number, samples = 24): number {
  let white = 0;
  for (let i = 0; i < samples; i++) {
    const a = (2 * Math.PI * i) / samples;
    const [R, G, B] = pixel(f, cx + r * Math.cos(a), cy + r * Math.sin(a));
    if (R > 200 && G > 200 && B > 200) white++;
  }
  return white / samples;
}
