const t = setTimeout(() => console.log('refreshed timer'), 30);
setTimeout(() => console.log('35 ms timer'), 35);
setTimeout(() => { console.log('refresh'); t.refresh(); }, 10);
