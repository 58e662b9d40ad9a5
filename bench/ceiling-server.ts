// The serving benchmark's ceiling: a bare node:http server that reads the request body and
// answers every request with a fixed JSON body (the size of a real predict reply). No routing,
// no JSON parsing, no model: the most a single Node process can answer on this machine.
// usage: node bench/ceiling-server.ts '<json reply body>'
import http from "node:http";

const body = Buffer.from(process.argv[2] ?? '{"predictions":[[0]]}');
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stderr.write(`ceiling server on http://127.0.0.1:${port}\n`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
