import type { StateCreator } from 'zustand';
import type { AppState, BoxesSlice } from './types.ts';

/** Selection survives re-renders and live updates; it only holds ids of boxes we know. */
const MAX_BOXES = 20_000;

export const createBoxesSlice: StateCreator<AppState, [], [], BoxesSlice> = (set) => ({
  boxes: {},
  selected: [],
  upsertBoxes: (list) =>
    set((s) => {
      if (list.length === 0) return s;
      const boxes = { ...s.boxes };
      // Counted once, not per box: Object.keys per box made a 5,000-box load quadratic (about 1 s).
      let count = Object.keys(boxes).length;
      for (const b of list) {
        // A site has tens to hundreds of boxes; the cap only stops a runaway sender from eating the window.
        if (!(b.id in boxes)) {
          if (count >= MAX_BOXES) continue;
          count++;
        }
        boxes[b.id] = b;
      }
      return { boxes };
    }),
  removeBox: (id) =>
    set((s) => {
      if (!(id in s.boxes)) return s;
      const { [id]: _gone, ...boxes } = s.boxes;
      return { boxes, selected: s.selected.filter((x) => x !== id) };
    }),
  toggleSelected: (id) => set((s) => ({ selected: s.selected.includes(id) ? s.selected.filter((x) => x !== id) : [...s.selected, id] })),
  setSelected: (ids) => set((s) => ({ selected: [...new Set(ids)].filter((id) => id in s.boxes) })),
});
