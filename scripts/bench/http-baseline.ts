/**
 * The baseline HTTP server of the benchmark: bare node:http answering every request with 202 and a
 * small JSON body (as /submit/1 does), or with the contents of a file (as /report does).
 * Usage: node http-baseline.js <port> [body-file]
 */
import fs from "node:fs";
import http from "node:http";

const port = Number(process.argv[2]);
const bodyFile = process.argv[3];
// Bytes, as the gateway keeps its cached report: a string would be encoded again for every answer.
const body =
  bodyFile === undefined
    ? Buffer.from(JSON.stringify({ accepted: 1, jobId: "00000000-0000-4000-8000-000000000000" }))
    : fs.readFileSync(bodyFile);
const status = bodyFile === undefined ? 202 : 200;

http
  .createServer((_req, res) => {
    res.writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": body.length,
    });
    res.end(body);
  })
  .listen(port, "127.0.0.1", () => process.send?.("ready"));
