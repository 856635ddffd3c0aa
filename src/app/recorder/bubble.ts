/**
 * Where the camera bubble sits over the screen, in numbers shared by the preview (CSS), the
 * compositor (canvas, main thread or worker) and the tests that look for it in the recorded file.
 * A placement is the bubble's centre as fractions of the frame, so it survives any resolution.
 */
export interface BubblePlacement {
  /** Centre, 0..1 of the frame's width. */
  x: number;
  /** Centre, 0..1 of the frame's height. */
  y: number;
}

/** Diameter as a fraction of the frame's shorter side (Loom's default bubble is about this size). */
export const BUBBLE_SIZE = 0.3;
/** The white ring drawn around the bubble, as a fraction of its diameter. */
export const BUBBLE_RING = 0.04;
/** Gap between the bubble and the frame's edge when it sits in a corner, fraction of the shorter side. */
const MARGIN = 0.04;

export type Corner = 'bottom-right' | 'bottom-left' | 'top-left' | 'top-right';
export const CORNERS: readonly Corner[] = ['bottom-right', 'bottom-left', 'top-left', 'top-right'];

/** The bubble's circle in pixels for a frame of `width` × `height`. */
export function bubbleCircle(width: number, height: number, p: BubblePlacement): { cx: number; cy: number; r: number } {
  const r = (Math.min(width, height) * BUBBLE_SIZE) / 2;
  const c = clampPlacement(width, height, p);
  return { cx: c.x * width, cy: c.y * height, r };
}

/** Keeps the whole bubble inside the frame. */
export function clampPlacement(width: number, height: number, p: BubblePlacement): BubblePlacement {
  if (width <= 0 || height <= 0) return p;
  const r = (Math.min(width, height) * BUBBLE_SIZE) / 2;
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : hi));
  return { x: clamp(p.x, r / width, 1 - r / width), y: clamp(p.y, r / height, 1 - r / height) };
}

/** The placement of a bubble tucked into `corner` of a `width` × `height` frame. */
export function cornerPlacement(width: number, height: number, corner: Corner): BubblePlacement {
  const short = Math.min(width, height);
  const offset = short * (BUBBLE_SIZE / 2 + MARGIN);
  const left = corner.endsWith('left');
  const top = corner.startsWith('top');
  return { x: left ? offset / width : 1 - offset / width, y: top ? offset / height : 1 - offset / height };
}

/** The corner nearest to a placement (for the "move bubble" button's next step). */
export function nearestCorner(p: BubblePlacement): Corner {
  return `${p.y < 0.5 ? 'top' : 'bottom'}-${p.x < 0.5 ? 'left' : 'right'}` as Corner;
}

export function nextCorner(p: BubblePlacement): Corner {
  return CORNERS[(CORNERS.indexOf(nearestCorner(p)) + 1) % CORNERS.length]!;
}

/** Source rectangle that crops a camera frame to a centred square (the bubble shows a face, not bars). */
export function squareCrop(width: number, height: number): { sx: number; sy: number; size: number } {
  const size = Math.min(width, height);
  return { sx: (width - size) / 2, sy: (height - size) / 2, size };
}

type Drawable = CanvasImageSource;
type Ctx2d = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * Draws one composited frame: the screen scaled to fill the canvas, then the camera cropped to a
 * circle with a white ring. Shared by the worker and the main-thread fallback so both record the
 * same picture.
 */
export function drawComposite(
  ctx: Ctx2d,
  width: number,
  height: number,
  screen: { image: Drawable; width: number; height: number } | null,
  camera: { image: Drawable; width: number; height: number } | null,
  placement: BubblePlacement,
): void {
  if (screen) ctx.drawImage(screen.image, 0, 0, width, height);
  else {
    ctx.fillStyle = '#0b1120';
    ctx.fillRect(0, 0, width, height);
  }
  if (!camera || camera.width === 0 || camera.height === 0) return;
  const { cx, cy, r } = bubbleCircle(width, height, placement);
  const ring = Math.max(2, r * 2 * BUBBLE_RING);
  ctx.save();
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fillStyle = '#ffffff';
  ctx.fill();
  ctx.beginPath();
  ctx.arc(cx, cy, r - ring, 0, Math.PI * 2);
  ctx.clip();
  const crop = squareCrop(camera.width, camera.height);
  ctx.drawImage(camera.image, crop.sx, crop.sy, crop.size, crop.size, cx - r + ring, cy - r + ring, (r - ring) * 2, (r - ring) * 2);
  ctx.restore();
}
