import { readFile } from "node:fs/promises";
import type { Cell } from "../data/table.ts";
import { mlopsError } from "../errors.ts";

/** One car from vega-datasets' cars.json (StatLib's Auto MPG data, model years 1970-1982). */
export type CarRecord = Record<string, Cell> & { Year: string; Miles_per_Gallon: number | null };

/** Columns the demo models use as features. */
export const CAR_FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Origin"] as const;

/** Reads cars.json from the vega-datasets package (shipped offline with the dependency). */
export async function loadCars(): Promise<CarRecord[]> {
  // The package exports only its JS entry (build/index.js); the data files sit beside build/.
  // It is a development dependency of the repository, not of the runtime package or image.
  let file: URL;
  try {
    file = new URL("../data/cars.json", import.meta.resolve("vega-datasets"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_DATA_FILE_NOT_FOUND", { path: "vega-datasets/data/cars.json (the demo's data: run the demo from a checkout after npm ci, or npm install vega-datasets)" }, { cause: err });
  }
  const records = JSON.parse(await readFile(file, "utf8")) as CarRecord[];
  return records.map((r) => ({ ...r, model_year: Number(r.Year.slice(0, 4)) }));
}

/** Model year of a car. */
export const modelYear = (r: CarRecord): number => Number(r.Year.slice(0, 4));
