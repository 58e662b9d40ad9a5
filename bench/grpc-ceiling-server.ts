// The gRPC benchmark's ceiling: a bare @grpc/grpc-js server that answers every call of the given
// methods with fixed reply bytes (what the model server returned), decoding nothing. The most a
// single Node process answers over gRPC on this machine.
// usage: node bench/grpc-ceiling-server.ts /pkg.Service/Method=<reply file> [...]
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

const same = (b: Buffer) => b;
const server = new grpc.Server();
const byService = new Map<string, Record<string, grpc.MethodDefinition<Buffer, Buffer>>>();
const impls = new Map<string, grpc.UntypedServiceImplementation>();
for (const arg of process.argv.slice(2)) {
  const [path, file] = arg.split("=") as [string, string];
  const [, service, name] = /^\/([^/]+)\/([^/]+)$/.exec(path)!;
  const reply = readFileSync(file);
  const def = byService.get(service!) ?? {};
  def[name!] = { path, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same };
  byService.set(service!, def);
  const impl = impls.get(service!) ?? {};
  impl[name!] = (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, reply);
  impls.set(service!, impl);
}
for (const [service, def] of byService) server.addService(def, impls.get(service)!);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stderr.write(`gRPC ceiling server on http://127.0.0.1:${port}\n`);
});
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
