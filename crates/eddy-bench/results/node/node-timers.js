
const n = Number(process.argv[2]);
if (global.gc) global.gc();
const rss0 = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
let fired = 0;
let rss1 = 0;
let t1 = t0;
const cb = () => {
  if (++fired === n) {
    // A delay counts from its setTimeout call, so the last deadline is the
    // last timer's delay after registering ended (t1), not after t0.
    const late = Number(process.hrtime.bigint() - t1) / 1e6 - Math.floor(((n - 1) * 1000) / n);
    console.log(`result register_ns=${registerNs} bytes_per_timer=${(rss1 - rss0) / n} late_ms=${late}`);
  }
};
for (let i = 0; i < n; i++) setTimeout(cb, (i * 1000) / n);
t1 = process.hrtime.bigint();
const registerNs = Number(t1 - t0) / n;
rss1 = process.memoryUsage().rss;
