
const n = Number(process.argv[2]);
let k = 0;
const t0 = process.hrtime.bigint();
const step = () => {
  if (++k < n) { setImmediate(step); return; }
  console.log(`result ns_per_callback=${Number(process.hrtime.bigint() - t0) / n}`);
};
setImmediate(step);
