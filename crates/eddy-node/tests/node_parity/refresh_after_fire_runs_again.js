let n = 0;
const t = setTimeout(() => {
  console.log('fire', ++n);
  if (n === 1) {
    setTimeout(() => {
      t.refresh();
      console.log('refreshed, hasRef', t.hasRef());
    }, 5);
  }
}, 5);
