import type { ContainerClient } from "@azure/storage-blob";
import { loadAzureBlobService } from "../registry/azure-blob-storage.ts";
import type { ObjectStoreLocation } from "../registry/object-store-location.ts";
import { type AtomicUpload, type DataObject, type DataStore, dataUnavailable, PartBuffer } from "./data-store.ts";

const status = (err: unknown) => (err as { statusCode?: unknown })?.statusCode;

/**
 * {@link DataStore} in an Azure Blob container, through the registry's client settings
 * (MLOPS_AZURE_BLOB_ENDPOINT, AZURE_STORAGE_CONNECTION_STRING, else DefaultAzureCredential: Azure
 * Workload Identity). An upload stages 8 MiB blocks and commits the block list on commit;
 * uncommitted blocks are never visible and Azure discards them after a week.
 */
export class AzureDataStore implements DataStore {
  readonly #account: string;
  readonly #container: string;
  readonly #env: NodeJS.ProcessEnv;
  #client: Promise<ContainerClient> | undefined;

  constructor(location: ObjectStoreLocation, env: NodeJS.ProcessEnv) {
    this.#account = location.account!;
    this.#container = location.bucket;
    this.#env = env;
  }

  #url(name: string): string {
    return `az://${this.#account}/${this.#container}/${name}`;
  }

  #c(): Promise<ContainerClient> {
    this.#client ??= loadAzureBlobService(this.#account, this.#env).then((s) => s.getContainerClient(this.#container));
    return this.#client;
  }

  async list(dir: string): Promise<DataObject[]> {
    const c = await this.#c();
    const out: DataObject[] = [];
    try {
      for await (const item of c.listBlobsFlat({ prefix: dir })) {
        if (item.name === dir || item.name.slice(dir.length).includes("/")) continue;
        out.push({ name: item.name, url: this.#url(item.name), size: item.properties.contentLength ?? 0 });
      }
    } catch (err) {
      throw dataUnavailable(this.#url(dir), "list", err);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(name: string): Promise<DataObject | undefined> {
    const c = await this.#c();
    try {
      const props = await c.getBlobClient(name).getProperties();
      return { name, url: this.#url(name), size: props.contentLength ?? 0 };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw dataUnavailable(this.#url(name), "stat", err);
    }
  }

  async *stream(name: string): AsyncIterable<Uint8Array> {
    const c = await this.#c();
    let body: AsyncIterable<Uint8Array>;
    try {
      body = (await c.getBlobClient(name).download(0)).readableStreamBody as AsyncIterable<Uint8Array>;
    } catch (err) {
      throw dataUnavailable(this.#url(name), "read", err);
    }
    yield* body;
  }

  async readRange(name: string, start: number, end: number): Promise<ArrayBuffer> {
    const c = await this.#c();
    try {
      const b = await c.getBlobClient(name).downloadToBuffer(start, end - start);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    } catch (err) {
      throw dataUnavailable(this.#url(name), "read", err);
    }
  }

  async upload(name: string): Promise<AtomicUpload> {
    const blob = (await this.#c()).getBlockBlobClient(name);
    const where = this.#url(name);
    const buffer = new PartBuffer();
    const blocks: string[] = [];
    const stage = async (body: Buffer) => {
      const id = Buffer.from(String(blocks.length).padStart(8, "0")).toString("base64");
      await blob.stageBlock(id, body, body.length);
      blocks.push(id);
    };
    return {
      write: async (chunk) => {
        buffer.push(chunk);
        if (!buffer.full) return;
        try {
          await stage(buffer.take());
        } catch (err) {
          throw dataUnavailable(where, "upload", err);
        }
      },
      commit: async () => {
        try {
          if (blocks.length === 0) {
            const body = buffer.take();
            await blob.upload(body, body.length);
            return;
          }
          if (buffer.bytes > 0) await stage(buffer.take());
          await blob.commitBlockList(blocks);
        } catch (err) {
          throw dataUnavailable(where, "upload", err);
        }
      },
      abort: async () => {},
    };
  }
}
