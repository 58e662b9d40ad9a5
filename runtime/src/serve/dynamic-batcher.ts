import { mlopsError } from "../errors.ts";

/** Batching settings; defaults follow TF Serving's BasicBatchScheduler. */
export interface BatchingOptions {
  /** Most rows merged into one model call. @default 1000 */
  maxBatchSize: number;
  /** Longest a request waits for others to join its batch when the model is idle; 0 runs at once. @default 0 */
  batchTimeoutMicros: number;
  /** Batches' worth of rows that may wait before new requests are refused (503). @default 10 */
  maxEnqueuedBatches: number;
}

/** TF Serving's defaults. */
export const DEFAULT_BATCHING: BatchingOptions = { maxBatchSize: 1000, batchTimeoutMicros: 0, maxEnqueuedBatches: 10 };

interface Pending {
  x: Float32Array;
  n: number;
  resolve: (y: Float32Array) => void;
  reject: (err: unknown) => void;
}

/** Runs the model on n rows (row-major, `inWidth` wide) and returns n × `outWidth` outputs. */
export type BatchRunner = (x: Float32Array, n: number) => Promise<Float32Array>;

/**
 * Merges concurrent requests for one model version into single model calls. While the model is
 * busy, arriving requests queue; when it frees up, everything queued (up to maxBatchSize rows)
 * runs as one batch and the outputs are split back in order. An idle model runs a request on
 * the next turn of the event loop, so a lone request never waits for company unless
 * batchTimeoutMicros asks it to.
 */
export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private queuedRows = 0;
  private running = false;
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private readonly run: BatchRunner;
  private readonly inWidth: number;
  private readonly outWidth: number;
  private readonly options: BatchingOptions;
  private readonly onBatch: ((rows: number, requests: number, seconds: number) => void) | undefined;

  constructor(run: BatchRunner, inWidth: number, outWidth: number, options: BatchingOptions, onBatch?: (rows: number, requests: number, seconds: number) => void) {
    this.run = run;
    this.inWidth = inWidth;
    this.outWidth = outWidth;
    this.options = options;
    this.onBatch = onBatch;
  }

  /** Rows waiting for the model. */
  get pendingRows(): number {
    return this.queuedRows;
  }

  /** Queues `n` encoded rows; resolves with their n × outWidth outputs. */
  submit(x: Float32Array, n: number, model: string): Promise<Float32Array> {
    if (this.queuedRows + n > this.options.maxBatchSize * this.options.maxEnqueuedBatches) {
      return Promise.reject(mlopsError("MLOPS_ERR_INFER_UNAVAILABLE", { model, reason: "the batching queue is full; retry with backoff" }));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ x, n, resolve, reject });
      this.queuedRows += n;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queuedRows >= this.options.maxBatchSize) {
      if (this.scheduled) clearTimeout(this.scheduled as NodeJS.Timeout);
      this.scheduled = undefined;
      this.scheduled = setImmediate(() => this.flush());
      return;
    }
    if (this.scheduled) return;
    const wait = this.options.batchTimeoutMicros / 1000;
    this.scheduled = wait > 0 ? setTimeout(() => this.flush(), wait) : setImmediate(() => this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = undefined;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch: Pending[] = [];
    let rows = 0;
    // A request larger than maxBatchSize runs alone rather than being refused.
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0]!.n <= this.options.maxBatchSize)) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.n;
    }
    this.queuedRows -= rows;
    const started = performance.now();
    try {
      let x: Float32Array;
      if (batch.length === 1) x = batch[0]!.x;
      else {
        x = new Float32Array(rows * this.inWidth);
        let o = 0;
        for (const p of batch) {
          x.set(p.x, o);
          o += p.x.length;
        }
      }
      const y = await this.run(x, rows);
      this.onBatch?.(rows, batch.length, (performance.now() - started) / 1000);
      let o = 0;
      for (const p of batch) {
        p.resolve(y.subarray(o, o + p.n * this.outWidth));
        o += p.n * this.outWidth;
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running = false;
      if (this.queue.length > 0) {
        this.scheduled = setImmediate(() => this.flush());
      }
    }
  }
}
