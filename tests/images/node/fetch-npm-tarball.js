// Download a package tarball from the npm registry and check its integrity:
//   node fetch-npm-tarball.js NAME VERSION OUT.tgz
// (The stand-in node images get npm itself this way: Debian's own npm
// package drags in ~480 packages, python3 and node-gyp, which the official
// slim image does not have.)
"use strict";
const https = require("https");
const crypto = require("crypto");
const fs = require("fs");
const [name, version, out] = process.argv.slice(2);
const registry = (process.env.npm_config_registry || "https://registry.npmjs.org").replace(/\/$/, "");

function get(url) {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        res.resume();
        resolve(get(new URL(res.headers.location, url).toString()));
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: HTTP ${res.statusCode}`));
        return;
      }
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    }).on("error", reject);
  });
}

(async () => {
  const meta = JSON.parse((await get(`${registry}/${name}/${version}`)).toString());
  const body = await get(meta.dist.tarball);
  const [algo, want] = meta.dist.integrity.split("-");
  const got = crypto.createHash(algo).update(body).digest("base64");
  if (got !== want) throw new Error(`${name}@${version}: integrity mismatch`);
  fs.writeFileSync(out, body);
  console.log(`${name}@${version}: ${body.length} bytes, ${algo} ok`);
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
