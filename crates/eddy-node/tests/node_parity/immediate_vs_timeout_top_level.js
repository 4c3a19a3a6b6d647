// At top level the order of a 0 ms timeout and an immediate is racy in
// Node (it depends on whether 1 ms passed before the first timers phase),
// so only the sorted set of what ran is compared.
const seen = [];
setTimeout(() => seen.push('timeout'), 0);
setImmediate(() => seen.push('immediate'));
setTimeout(() => console.log(seen.sort().join(',')), 20);
