import { type PreprocessorState, widthOf } from "../data/preprocessor.ts";

/** One original feature and the columns of the encoded matrix it occupies (one, or its one-hot group). */
export interface FeatureGroup {
  name: string;
  kind: "numerical" | "categorical" | "date";
  /** First encoded column. */
  start: number;
  /** Number of encoded columns: the value (or a date's parts, or the one-hot slots with the out-of-vocabulary and missing buckets), plus a missing indicator when the feature has one. */
  width: number;
}

/** The original features of a preprocessor as column groups of the encoded matrix, in order. */
export function featureGroups(pre: PreprocessorState): FeatureGroup[] {
  let start = 0;
  return pre.features.map((f) => {
    const width = widthOf(f);
    const g: FeatureGroup = { name: f.name, kind: f.kind, start, width };
    start += width;
    return g;
  });
}

/** Sums per-column attributions (n × width, row-major) into per-feature ones (n × groups). */
export function sumByGroup(columns: ArrayLike<number>, n: number, width: number, groups: readonly FeatureGroup[]): Float64Array {
  const out = new Float64Array(n * groups.length);
  for (let r = 0; r < n; r++) {
    for (let g = 0; g < groups.length; g++) {
      const { start, width: w } = groups[g]!;
      let s = 0;
      for (let c = start; c < start + w; c++) s += columns[r * width + c]!;
      out[r * groups.length + g] = s;
    }
  }
  return out;
}
