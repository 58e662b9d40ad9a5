import { mlopsError } from "../errors.ts";
import type { Cell } from "./table.ts";

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Receives each record: its fields, the line it starts on (1-based) and, when asked, its text. */
export type CsvRecordSink = (fields: string[], line: number, raw: string | undefined) => void;

/**
 * An incremental RFC 4180 CSV parser: comma-separated, `"`-quoted fields with `""` escapes and
 * line breaks inside quotes, LF or CRLF record ends, empty lines skipped. Text can arrive in
 * chunks cut anywhere; only the unfinished last record is kept between chunks, so memory is
 * bounded by a record, not the file. Structural errors (an unclosed quote, text after a closing
 * quote) throw MLOPS_ERR_DATA_PARSE with the line; ragged rows are the caller's to judge.
 */
export class CsvParser {
  readonly #source: string;
  readonly #raw: boolean;
  #rest = "";
  #line = 1;

  constructor(source: string, options: { raw?: boolean } = {}) {
    this.#source = source;
    this.#raw = options.raw ?? false;
  }

  /** Parses every record completed by `text`. */
  push(text: string, emit: CsvRecordSink): void {
    this.#parse(this.#rest === "" ? text : this.#rest + text, false, emit);
  }

  /** Parses what is left at the end of the input. */
  end(emit: CsvRecordSink): void {
    this.#parse(this.#rest, true, emit);
    this.#rest = "";
  }

  #parse(text: string, final: boolean, emit: CsvRecordSink): void {
    const n = text.length;
    let i = 0;
    let line = this.#line;
    for (;;) {
      if (i >= n) {
        this.#rest = "";
        break;
      }
      const start = i;
      const startLine = line;
      const fields: string[] = [];
      let complete = false;
      let end = -1;
      // One record.
      for (;;) {
        if (i >= n) {
          if (!final) break;
          fields.push("");
          end = i;
          complete = true;
          break;
        }
        let c = text.charCodeAt(i);
        if (c === QUOTE) {
          let value = "";
          let j = i + 1;
          let closed = -1;
          for (;;) {
            const q = text.indexOf('"', j);
            if (q < 0) break;
            value += text.slice(j, q);
            if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
              value += '"';
              j = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break;
            closed = q;
            break;
          }
          if (closed < 0) {
            if (!final) break;
            throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: this.#source, line: startLine, reason: "a quoted field is never closed" });
          }
          for (let k = value.indexOf("\n"); k >= 0; k = value.indexOf("\n", k + 1)) line++;
          fields.push(value);
          i = closed + 1;
          if (i >= n) {
            if (!final) break;
            end = i;
            complete = true;
            break;
          }
          c = text.charCodeAt(i);
          if (c === COMMA) {
            i++;
            continue;
          }
          if (c !== LF && c !== CR) {
            throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: this.#source, line, reason: `text ${JSON.stringify(text.slice(i, i + 10).split(/[\r\n]/)[0])} after a closing quote; quote the whole field and double inner quotes` });
          }
        } else {
          let j = i;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
            j++;
          }
          if (j >= n && !final) break;
          fields.push(text.slice(i, j));
          i = j;
          if (i >= n) {
            end = i;
            complete = true;
            break;
          }
          if (c === COMMA) {
            i++;
            if (i >= n && final) {
              fields.push("");
              end = i;
              complete = true;
              break;
            }
            continue;
          }
        }
        // A record end: LF, CRLF or a lone CR (a CR that ends the chunk waits: its LF may come next).
        end = i;
        if (text.charCodeAt(i) === CR && i + 1 >= n && !final) break;
        if (text.charCodeAt(i) === CR) i++;
        if (i < n && text.charCodeAt(i) === LF) i++;
        line++;
        complete = true;
        break;
      }
      if (!complete) {
        this.#rest = text.slice(start);
        line = startLine;
        break;
      }
      if (fields.length === 1 && fields[0] === "" && text.charCodeAt(start) !== QUOTE) continue;
      emit(fields, startLine, this.#raw ? text.slice(start, end) : undefined);
    }
    this.#line = line;
  }
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: null → empty, booleans as true/false, numbers in JavaScript's shortest form, text quoted when it must be. */
export function csvField(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "string") return NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
  return String(cell);
}

/** One CSV record, without the line end. */
export function csvLine(cells: readonly (Cell | undefined)[]): string {
  let s = "";
  for (let j = 0; j < cells.length; j++) s += (j === 0 ? "" : ",") + csvField(cells[j]);
  return s;
}
