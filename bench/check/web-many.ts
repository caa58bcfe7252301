// The bench's real servers: HTTP on 0.0.0.0, ports FIRST..LAST, one Bun process, every
// request counted; prints "listening" when ready and "requests N" every second.
const first = Number(process.argv[2] ?? 8000);
const last = Number(process.argv[3] ?? first);
let n = 0;
for (let p = first; p <= last; p++)
  Bun.serve({
    hostname: "0.0.0.0",
    port: p,
    fetch: () => {
      n++;
      return new Response("ok\n");
    },
  });
console.log("listening");
setInterval(() => console.log(`requests ${n}`), 1000);
