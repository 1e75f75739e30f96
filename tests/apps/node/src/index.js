const ms = require("ms");

console.log(`hello from node ${process.versions.node.split(".")[0]}`);
console.log(`two days is ${ms("2 days")} ms`);
console.log(`built: ${__filename.endsWith("/dist/index.js")}`);
